// The chat page's script: the client hubgen generated from the contract
// (ts/chathub.ts, by the go:generate line in chat.go) over the official
// @microsoft/signalr client. npm run build type-checks it and bundles it, with
// the client, into dist/chat.js, which the server serves to index.html.
import { HubConnectionBuilder, Subject, type HubConnection } from "@microsoft/signalr";
import { createChatHubProxy, registerChat, type ChatHub, type Message } from "./ts/chathub";

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
}

const signInForm = element<HTMLFormElement>("signin");
const userInput = element<HTMLInputElement>("user");
const chatSection = element("chat");
const messages = element<HTMLUListElement>("messages");
const sayForm = element<HTMLFormElement>("say");
const textInput = element<HTMLInputElement>("text");
const statusInput = element<HTMLInputElement>("status");
const fileInput = element<HTMLInputElement>("file");
const roomLabel = element("room");
const state = element("state");

// show adds a line to the messages. textContent, never innerHTML: what
// others write is text, not markup.
function show(text: string, kind: "message" | "notice" | "direct" | "error" = "message"): void {
  const li = document.createElement("li");
  li.className = kind;
  li.textContent = text;
  messages.append(li);
  li.scrollIntoView({ block: "end" });
}

function showMessage(m: Message): void {
  if (m.room) {
    show(`[${m.room}] ${m.from}: ${m.text}`);
  } else {
    show(`${m.from} → ${m.to}: ${m.text}`, "direct");
  }
}

// signIn asks the server's /token for a token for user: the stand-in, in
// this example, for a real identity provider.
async function signIn(user: string): Promise<string> {
  const resp = await fetch("/token", { method: "POST", body: new URLSearchParams({ user }) });
  if (!resp.ok) throw new Error(`signing in: ${(await resp.text()).trim()}`);
  return resp.text();
}

let room = "";

// join joins a room, makes it the current one and shows its history: a
// stream, which the server sends item by item. (A message said in the room
// while the history streams shows twice: once live, once in the history.)
async function join(chat: ChatHub, name: string): Promise<void> {
  await chat.join(name);
  room = name;
  roomLabel.textContent = `#${name}`;
  show(`joined ${name}`, "notice");
  await new Promise<void>((resolve, reject) => {
    chat.history(name).subscribe({ next: showMessage, complete: resolve, error: reject });
  });
}

// command runs what the user typed: a command, or text to say in the room.
async function command(chat: ChatHub, line: string): Promise<void> {
  if (!line.startsWith("/")) {
    await chat.send(room, line);
    return;
  }
  const [name = "", ...args] = line.split(/\s+/);
  switch (name) {
    case "/join":
      await join(chat, args[0] ?? "");
      return;
    case "/leave":
      await chat.leave(room);
      show(`left ${room}`, "notice");
      return;
    case "/msg":
      await chat.whisper(args[0] ?? "", args.slice(1).join(" "));
      return;
    case "/who": {
      const who = (await chat.who(room)) ?? [];
      show(`${room}: ${who.map((m) => `${m.user} (${m.status})`).join(", ")}`, "notice");
      return;
    }
  }
  throw new Error(`no such command: ${name}`);
}

// post says each line of a file in the current room, as one upload: a
// Subject, which streams to the server what is pushed into it.
async function post(chat: ChatHub, file: File): Promise<void> {
  const lines = (await file.text()).split("\n").filter((line) => line.trim() !== "");
  const texts = new Subject<string>();
  const posted = chat.post(room, texts);
  for (const line of lines) {
    texts.next(line);
  }
  texts.complete();
  show(`posted ${await posted} messages from ${file.name}`, "notice");
}

// connect opens the connection as user, with the handlers of what the
// server calls, and joins the room general.
async function connect(user: string): Promise<void> {
  const connection: HubConnection = new HubConnectionBuilder()
    // Called for every connection the client opens, reconnects included.
    .withUrl("/hubs/chat", { accessTokenFactory: () => signIn(user) })
    .withAutomaticReconnect()
    .build();
  registerChat(connection, {
    receive: showMessage,
    joined: (room, user) => show(`* ${user} joined ${room}`, "notice"),
    left: (room, user) => show(`* ${user} left ${room}`, "notice"),
    // A client result: the server asks, and waits for the answer.
    status: () => statusInput.value,
  });
  const chat = createChatHubProxy(connection);
  const report = (err: unknown) => show(`! ${err instanceof Error ? err.message : String(err)}`, "error");

  connection.onreconnecting(() => (state.textContent = "reconnecting…"));
  connection.onreconnected(() => {
    state.textContent = `connected as ${user}`;
    // A new connection is in no room: join the current one again.
    join(chat, room).catch(report);
  });
  connection.onclose(() => (state.textContent = "disconnected"));

  await connection.start();
  state.textContent = `connected as ${user}`;
  signInForm.hidden = true;
  chatSection.hidden = false;
  await join(chat, "general");
  textInput.focus();

  sayForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const line = textInput.value.trim();
    textInput.value = "";
    if (line) command(chat, line).catch(report);
  });
  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    fileInput.value = "";
    if (file) post(chat, file).catch(report);
  });
}

signInForm.addEventListener("submit", (event) => {
  event.preventDefault();
  state.textContent = "connecting…";
  connect(userInput.value.trim()).catch((err: unknown) => (state.textContent = `error: ${String(err)}`));
});
