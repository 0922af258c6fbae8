// Uses the shared types as a TypeScript user would: the hubs' files import
// them, and one declaration serves both hubs.
import type { HubConnection } from "@microsoft/signalr";
import { createAdminProxy } from "./admin.js";
import { createRoomsProxy } from "./rooms.js";
import { Role, type Room, type User, type UserInput } from "./chat.types.js";

export async function use(connection: HubConnection): Promise<unknown[]> {
  const rooms = createRoomsProxy(connection);
  const admin = createAdminProxy(connection);
  const room: Room = await rooms.join("lobby", { name: "ann", joined: new Date(), role: Role.Guest });
  const all: Room[] | null = await admin.rooms();
  const users: User[] | null = await admin.users(room.name);
  const back: UserInput | undefined = users?.[0];
  await admin.ban({ user: back ?? { name: "bob", joined: "2024-05-06T07:08:09Z", role: Role.Owner }, until: new Date() });
  // @ts-expect-error: not a Role
  const bad: Role = "admin";
  return [all, back, bad];
}
