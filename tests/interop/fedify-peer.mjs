// Scripted Fedify 2.3.6 peer for the federation tests: node tests/interop/fedify-peer.mjs PORT
//
// Serves http://localhost:PORT/users/tester (RSA + Ed25519 keys, personal inbox, shared inbox /inbox,
// followers, WebFinger, NodeInfo 2.1), accepts every Follow it receives, and offers a plain-JSON control
// API under /control/ on the same port (contract in tests/interop/README.md). It can also act as an event
// source (a Mobilizon group, a Gancio instance): events at /users/tester/events/<uuid>, whose Create, Update
// and Delete go to its followers. It prints exactly one line
// on stdout, `READY PORT`, once it listens; its log goes to stderr. SIGTERM/SIGINT stop it.
// Env: FIRST_KNOCK (rfc9421 | draft-cavage-http-signatures-12; default rfc9421), FEDIFY_LOG (logtape level
// of the "fedify" category; default warning).
import http from "node:http";
import { readFile } from "node:fs/promises";
import { Console } from "node:console";
import { AsyncLocalStorage } from "node:async_hooks";

// Fedify lives in the fediverse/ npm tree, which a bare import from this folder would not search:
// resolve each package's ESM entry from its own package.json.
const TREE = new URL("./fediverse/node_modules/", import.meta.url);
async function load(pkg, subpath = ".") {
  const dir = new URL(`${pkg}/`, TREE);
  const manifest = JSON.parse(await readFile(new URL("package.json", dir), "utf8"));
  const pick = (e) => (typeof e === "string" ? e : Array.isArray(e) ? pick(e[0]) : pick(e.import ?? e.default));
  return import(new URL(pick(manifest.exports[subpath]), dir).href);
}
const { createFederation, MemoryKvStore, InProcessMessageQueue, generateCryptoKeyPair } = await load("@fedify/fedify");
const {
  Accept, Activity, Create, Delete, Endpoints, Event, Follow, Mention, Note, Person, Place, PUBLIC_COLLECTION,
  Tombstone, Undo, Update, isActor,
} = await load("@fedify/fedify", "./vocab");
const { configure, getConsoleSink } = await load("@logtape/logtape");
const { Temporal } = await load("@js-temporal/polyfill");

// Fedify 2.x wants Node >= 22; on Node 20 its key import reads `navigator.userAgent` and throws without this.
globalThis.navigator ??= { userAgent: `Node.js/${process.version}` };

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node fedify-peer.mjs PORT");
  process.exit(2);
}
const origin = `http://localhost:${port}`;
const firstKnock = process.env.FIRST_KNOCK ?? "rfc9421";
const ME = "tester";

// stdout carries only the READY line, so a test can read it without draining a log.
const stderr = new Console(process.stderr);
const say = (msg) => stderr.log(`fedify-peer[${port}] ${msg}`);
await configure({
  contextLocalStorage: new AsyncLocalStorage(), // Fedify logs with implicit contexts; without it logtape warns on every request
  sinks: { console: getConsoleSink({ console: stderr }) },
  loggers: [
    { category: "fedify", lowestLevel: process.env.FEDIFY_LOG ?? "warning", sinks: ["console"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
  ],
});

const federation = createFederation({
  kv: new MemoryKvStore(),
  queue: new InProcessMessageQueue(),
  origin, // ids always say localhost, whichever Host a request carried
  allowPrivateAddress: true, // every peer is on loopback
  firstKnock,
});
const keys = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), await generateCryptoKeyPair("Ed25519")];

// In-memory state read and changed by the control API.
const received = []; // {type, id, actor, objectId, objectType, raw}
const followers = new Map(); // follower actor id -> Recipient {id, inboxId, endpoints} (the collection lists ids)
const incomingFollows = new Map(); // Follow id -> follower actor id, to honour an Undo that only names the Follow
const sentFollows = new Map(); // target URL as given, and its actor id -> {follow, actor}
const notes = new Map(); // note uuid -> Note, so a peer that dereferences the note id gets it
const events = new Map(); // event uuid -> {fields, create}: the Event is rebuilt from `fields` when served
const goneEvents = new Map(); // deleted event uuid -> Tombstone, served with 410
const outbox = []; // the Creates sent, newest first (an actor without an outbox fails activitypub-testing)

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ME) return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: `Fedify tester on ${port}`,
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((p) => p.multikey),
    });
  })
  .mapHandle((_ctx, username) => (username === ME ? ME : null))
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === ME ? keys : []));

federation.setFollowersDispatcher("/users/{identifier}/followers", async (_ctx, identifier) =>
  identifier === ME ? { items: [...followers.values()] } : null);

federation.setOutboxDispatcher("/users/{identifier}/outbox", async (_ctx, identifier) =>
  identifier === ME ? { items: outbox } : null);

federation.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", async (_ctx, { identifier, id }) =>
  identifier === ME ? notes.get(id) ?? null : null);

federation.setObjectDispatcher(Event, "/users/{identifier}/events/{id}", async (ctx, { identifier, id }) => {
  const stored = identifier === ME ? events.get(id) : undefined;
  return stored == null ? null : buildEvent(ctx, id, stored.fields);
});

federation.setNodeInfoDispatcher("/nodeinfo/2.1", async () => ({
  software: { name: "kommon-fedify-peer", version: "2.3.6" },
  protocols: ["activitypub"],
  usage: { users: { total: 1 }, localPosts: notes.size + events.size, localComments: 0 },
}));

// Fedify only calls these after the HTTP signature (or proof) checked out, so `received` holds verified
// activities only. Registering Activity as well catches every type without a listener of its own.
const signedLoader = (ctx) => ctx.getDocumentLoader({ identifier: ME });
const followsUs = (ctx, follow) => [follow?.object, follow?.object?.id].includes(ctx.getActorUri(ME).href);
async function record(ctx, activity) {
  const raw = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
  const object = raw?.object;
  const entry = {
    type: typeof raw?.type === "string" ? raw.type : activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    objectId: activity.objectId?.href ?? null,
    objectType: object != null && typeof object === "object" && typeof object.type === "string" ? object.type : null,
    raw,
  };
  received.push(entry);
  say(`INBOX ${entry.type} id=${entry.id} actor=${entry.actor} object=${entry.objectId}`);
  return entry;
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri(ME).href) return; // not about us
    const follower = await follow.getActor({ documentLoader: await signedLoader(ctx) });
    if (follower == null || follower.id == null) return say(`cannot resolve follower ${follow.actorId?.href}`);
    await ctx.sendActivity({ identifier: ME }, follower, new Accept({
      id: new URL(`${origin}/users/${ME}/accepts/${crypto.randomUUID()}`),
      actor: ctx.getActorUri(ME),
      object: follow,
    }));
    followers.set(follower.id.href, { id: follower.id, inboxId: follower.inboxId, endpoints: follower.endpoints });
    if (follow.id != null) incomingFollows.set(follow.id.href, follower.id.href);
    say(`sent Accept to ${follower.id.href}`);
  })
  .on(Undo, async (ctx, undo) => {
    const entry = await record(ctx, undo);
    // An Undo may embed the Follow or only name it; either way only its own actor may leave.
    const who = undo.actorId?.href;
    const undone = entry.objectId != null ? incomingFollows.get(entry.objectId) : undefined;
    const embedded = entry.objectType === "Follow" && followsUs(ctx, entry.raw.object);
    if (who != null && (undone === who || embedded)) {
      followers.delete(who);
      if (entry.objectId != null) incomingFollows.delete(entry.objectId);
      say(`${who} no longer follows`);
    }
  })
  .on(Activity, async (ctx, activity) => {
    await record(ctx, activity);
  })
  .onError((_ctx, err) => say(`inbox error: ${err?.stack ?? err}`));

// ---- control API -------------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function lookupActor(ctx, target) {
  if (typeof target !== "string" || target === "") throw new HttpError(400, "`target` (actor URL) is required");
  let actor;
  try {
    actor = await ctx.lookupObject(target, { documentLoader: await signedLoader(ctx) });
  } catch (e) {
    throw new HttpError(502, `lookup of ${target} failed: ${e?.message ?? e}`);
  }
  if (actor == null || !isActor(actor)) throw new HttpError(502, `${target} did not resolve to an actor`);
  return actor;
}

// `immediate` delivers before we answer, so a test sees a delivery failure in the response instead of a
// silent retry in the queue.
async function deliver(ctx, actor, activity) {
  try {
    await ctx.sendActivity({ identifier: ME }, actor, activity, { immediate: true });
  } catch (e) {
    throw new HttpError(502, `delivery to ${actor.inboxId?.href} failed: ${e?.message ?? e}`);
  }
}

// Fan-out to everyone in `followers` (through the followers dispatcher above), also `immediate`.
async function deliverToFollowers(ctx, activity) {
  try {
    await ctx.sendActivity({ identifier: ME }, "followers", activity, { immediate: true });
  } catch (e) {
    throw new HttpError(502, `delivery of ${activity.id?.href} to the followers failed: ${e?.message ?? e}`);
  }
  return [...followers.keys()];
}

// ---- events (the peer as an event source) -----------------------------------------------------------

const eventPrefix = () => `${origin}/users/${ME}/events/`;

// An RFC 3339 time with an offset (`Z` or `±hh:mm`) -> Temporal.Instant (what Fedify's Event takes; it
// serializes it in UTC). `undefined` stays undefined (field not given), `null` stays null (field removed).
function instantOf(value, field) {
  if (value === undefined || value === null) return value;
  if (typeof value !== "string" || !/(Z|[+-]\d\d:?\d\d)$/i.test(value)) {
    throw new HttpError(400, `\`${field}\` must be an RFC 3339 time with an offset`);
  }
  try {
    return Temporal.Instant.from(value);
  } catch {
    throw new HttpError(400, `\`${field}\` must be an RFC 3339 time with an offset`);
  }
}

// The fields a control request may set, checked. With `partial`, absent fields are left out (unchanged).
function eventFields(body, partial) {
  const f = {};
  if (body.name !== undefined || !partial) {
    if (typeof body.name !== "string" || body.name === "") throw new HttpError(400, "`name` (string) is required");
    f.name = body.name;
  }
  if (body.startTime !== undefined || !partial) {
    if (body.startTime == null) throw new HttpError(400, "`startTime` (RFC 3339 with offset) is required");
    f.startTime = instantOf(body.startTime, "startTime");
  }
  if (body.endTime !== undefined) f.endTime = instantOf(body.endTime, "endTime");
  if (body.content !== undefined) {
    if (body.content !== null && typeof body.content !== "string") throw new HttpError(400, "`content` must be a string");
    f.content = body.content;
  }
  for (const [k, max] of [["latitude", 90], ["longitude", 180]]) {
    const v = body[k];
    if (v === undefined) continue;
    if (v !== null && (typeof v !== "number" || !Number.isFinite(v) || Math.abs(v) > max)) {
      throw new HttpError(400, `\`${k}\` must be a number in [-${max}, ${max}]`);
    }
    f[k] = v;
  }
  return f;
}

function buildEvent(ctx, uuid, f) {
  const located = f.latitude != null && f.longitude != null;
  return new Event({
    id: ctx.getObjectUri(Event, { identifier: ME, id: uuid }),
    attribution: ctx.getActorUri(ME),
    name: f.name,
    startTime: f.startTime,
    endTime: f.endTime ?? null,
    content: f.content ?? null,
    location: located ? new Place({ latitude: f.latitude, longitude: f.longitude }) : null,
    to: PUBLIC_COLLECTION,
    cc: ctx.getFollowersUri(ME),
    published: f.published,
    updated: f.updated ?? null,
  });
}

function storedEvent(eventId) {
  if (typeof eventId !== "string" || eventId === "") throw new HttpError(400, "`eventId` (event URL) is required");
  const uuid = eventId.startsWith(eventPrefix()) ? eventId.slice(eventPrefix().length) : null;
  const stored = uuid == null ? undefined : events.get(uuid);
  if (stored == null) throw new HttpError(404, `no event ${eventId}`);
  return [uuid, stored];
}

const control = {
  "GET /control/received": async () => received,
  "GET /control/followers": async () => [...followers.keys()],
  "POST /control/follow": async (ctx, body) => {
    const actor = await lookupActor(ctx, body.target);
    const follow = new Follow({
      id: new URL(`${origin}/users/${ME}/follows/${crypto.randomUUID()}`),
      actor: ctx.getActorUri(ME),
      object: actor.id,
      to: actor.id,
    });
    await deliver(ctx, actor, follow);
    sentFollows.set(body.target, { follow, actor });
    sentFollows.set(actor.id.href, { follow, actor });
    return { id: follow.id.href };
  },
  "POST /control/undo-follow": async (ctx, body) => {
    const sent = sentFollows.get(body.target);
    if (sent == null) throw new HttpError(404, `no Follow of ${body.target} was sent`);
    const undo = new Undo({
      id: new URL(`${origin}/users/${ME}/undos/${crypto.randomUUID()}`),
      actor: ctx.getActorUri(ME),
      object: sent.follow,
      to: sent.actor.id,
    });
    await deliver(ctx, sent.actor, undo);
    for (const [k, v] of sentFollows) if (v === sent) sentFollows.delete(k);
    return { id: undo.id.href };
  },
  "POST /control/create": async (ctx, body) => {
    if (typeof body.content !== "string") throw new HttpError(400, "`content` (string) is required");
    const actor = await lookupActor(ctx, body.target);
    const host = actor.id.host;
    const uuid = crypto.randomUUID();
    const published = Temporal.Now.instant();
    const note = new Note({
      id: ctx.getObjectUri(Note, { identifier: ME, id: uuid }),
      attribution: ctx.getActorUri(ME),
      to: actor.id,
      content: body.content,
      tags: [new Mention({ href: actor.id, name: `@${actor.preferredUsername ?? "unknown"}@${host}` })],
      published,
    });
    notes.set(uuid, note);
    const create = new Create({
      id: new URL(`${origin}/users/${ME}/creates/${uuid}`),
      actor: ctx.getActorUri(ME),
      object: note,
      to: actor.id,
      published,
    });
    await deliver(ctx, actor, create);
    outbox.unshift(create);
    return { activityId: create.id.href, noteId: note.id.href };
  },
  "POST /control/event": async (ctx, body) => {
    const fields = eventFields(body, false);
    if ((fields.latitude == null) !== (fields.longitude == null)) {
      throw new HttpError(400, "give both `latitude` and `longitude`, or neither");
    }
    const uuid = crypto.randomUUID();
    fields.published = Temporal.Now.instant();
    const event = buildEvent(ctx, uuid, fields);
    const create = new Create({
      id: new URL(`${origin}/users/${ME}/creates/${uuid}`),
      actor: ctx.getActorUri(ME),
      object: event,
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(ME),
      published: fields.published,
    });
    // Stored before delivery: a follower may dereference the event while it handles the Create.
    events.set(uuid, { fields, create });
    outbox.unshift(create);
    const sentTo = await deliverToFollowers(ctx, create);
    return { activityId: create.id.href, eventId: event.id.href, followers: sentTo };
  },
  "POST /control/event-update": async (ctx, body) => {
    const [uuid, stored] = storedEvent(body.eventId);
    const fields = { ...stored.fields, ...eventFields(body, true), updated: Temporal.Now.instant() };
    if ((fields.latitude == null) !== (fields.longitude == null)) {
      throw new HttpError(400, "the event would have only one of `latitude` and `longitude`");
    }
    const event = buildEvent(ctx, uuid, fields);
    const update = new Update({
      id: new URL(`${origin}/users/${ME}/updates/${crypto.randomUUID()}`),
      actor: ctx.getActorUri(ME),
      object: event,
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(ME),
      published: fields.updated,
    });
    // The outbox keeps one Create per event, embedding its current state.
    const create = stored.create.clone({ object: event });
    outbox.splice(outbox.indexOf(stored.create), 1, create);
    events.set(uuid, { fields, create });
    const sentTo = await deliverToFollowers(ctx, update);
    return { activityId: update.id.href, eventId: event.id.href, followers: sentTo };
  },
  "POST /control/event-delete": async (ctx, body) => {
    const [uuid, stored] = storedEvent(body.eventId);
    const deleted = Temporal.Now.instant();
    const tombstone = new Tombstone({ id: new URL(body.eventId), formerType: Event, deleted });
    events.delete(uuid);
    goneEvents.set(uuid, tombstone);
    outbox.splice(outbox.indexOf(stored.create), 1);
    const del = new Delete({
      id: new URL(`${origin}/users/${ME}/deletes/${crypto.randomUUID()}`),
      actor: ctx.getActorUri(ME),
      object: tombstone,
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(ME),
      published: deleted,
    });
    const sentTo = await deliverToFollowers(ctx, del);
    return { activityId: del.id.href, eventId: body.eventId, followers: sentTo };
  },
};

async function handleControl(req, path, body) {
  const handler = control[`${req.method} ${path}`];
  if (handler == null) return [404, { error: `no control endpoint ${req.method} ${path}` }];
  let input = {};
  if (req.method === "POST") {
    try {
      input = JSON.parse(body?.toString("utf8") || "{}");
    } catch {
      return [400, { error: "body is not JSON" }];
    }
  }
  const ctx = federation.createContext(new URL(origin), undefined);
  try {
    return [200, await handler(ctx, input)];
  } catch (e) {
    say(`control ${req.method} ${path}: ${e?.message ?? e}`);
    return [e instanceof HttpError ? e.status : 500, { error: String(e?.message ?? e) }];
  }
}

// ---- HTTP ---------------------------------------------------------------------------------------------

const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    // Keep the Host the sender signed: RFC 9421's @authority is read from the request URL.
    const url = new URL(req.url, `http://${req.headers.host ?? `localhost:${port}`}`);
    if (url.pathname.startsWith("/control/")) {
      const [status, json] = await handleControl(req, url.pathname, body);
      res.writeHead(status, { "content-type": "application/json" });
      return res.end(JSON.stringify(json));
    }
    const response = await federation.fetch(
      new Request(url, { method: req.method, headers: req.headers, body: ["GET", "HEAD"].includes(req.method) ? undefined : body }),
      {
        contextData: undefined,
        onNotFound: async () => {
          // A deleted event: 410 with its Tombstone (Fedify's object routes only know 404).
          const gone = url.pathname.startsWith(`/users/${ME}/events/`)
            ? goneEvents.get(url.pathname.slice(`/users/${ME}/events/`.length))
            : undefined;
          if (gone == null) return new Response("not found", { status: 404 });
          const jsonLd = await gone.toJsonLd({ contextLoader: federation.createContext(new URL(origin), undefined).contextLoader });
          return new Response(JSON.stringify(jsonLd), { status: 410, headers: { "content-type": "application/activity+json" } });
        },
        onNotAcceptable: async () => new Response("not acceptable", { status: 406 }),
      },
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) {
    say(`${req.method} ${req.url}: ${e?.stack ?? e}`);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("internal error");
  }
});

function stop(signal) {
  say(`${signal}: stopping`);
  server.close();
  server.closeAllConnections();
  process.exit(0); // the in-process queue would otherwise keep the loop alive
}
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));

server.on("error", (e) => {
  say(`cannot listen on 127.0.0.1:${port}: ${e.message}`);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => {
  say(`listening as ${origin}/users/${ME} (firstKnock=${firstKnock})`);
  process.stdout.write(`READY ${port}\n`);
});
