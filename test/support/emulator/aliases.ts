/** Aliases: list all, list per collection, and the create/delete/rename action batch. */
import type { Schemas } from "@qdrant/js-client-rest";
import { param, readJson, requireManage, type RequestCtx } from "./context.js";
import { ApiError, collectionNotFound, notFound, okReply, type Reply } from "./envelope.js";
import { formatError, Reader } from "./json.js";
import { checkCollectionName } from "./names.js";
import type { Route } from "./router.js";
import type { Deployment } from "./state.js";

function describe(entries: Iterable<[string, string]>): Schemas["CollectionsAliasesResponse"] {
  const aliases = [...entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([alias_name, collection_name]) => ({ alias_name, collection_name }));
  return { aliases };
}

async function listAll(ctx: RequestCtx): Promise<Reply> {
  return okReply(describe(ctx.node.deployment.aliases), ctx.startedAt);
}

async function listForCollection(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name);
  // Qdrant answers an empty list (not 404) for a collection that does not exist.
  const entries = [...ctx.node.deployment.aliases].filter(([, target]) => target === name);
  return okReply(describe(entries), ctx.startedAt);
}

type Action =
  | { kind: "create"; collection: string; alias: string }
  | { kind: "delete"; alias: string }
  | { kind: "rename"; from: string; to: string };

function parseActions(body: Reader): Action[] {
  const list = body.optArray("actions") ?? body.fail("actions", "a sequence");
  return list.map((item, i): Action => {
    const r = Reader.of(item, `actions[${i}]`);
    const create = r.optReader("create_alias");
    if (create)
      return { kind: "create", collection: create.string("collection_name"), alias: create.string("alias_name") };
    const del = r.optReader("delete_alias");
    if (del) return { kind: "delete", alias: del.string("alias_name") };
    const rename = r.optReader("rename_alias");
    if (rename) return { kind: "rename", from: rename.string("old_alias_name"), to: rename.string("new_alias_name") };
    throw formatError("body", `actions[${i}]: data did not match any variant of untagged enum AliasOperations`);
  });
}

/** Apply all actions to a copy first, so a failing action leaves the aliases untouched. */
function applyActions(d: Deployment, actions: Action[]): void {
  const next = new Map(d.aliases);
  for (const a of actions) {
    if (a.kind === "create") {
      if (!d.collections.has(a.collection)) throw collectionNotFound(a.collection);
      if (d.collections.has(a.alias)) throw new ApiError(409, `Wrong input: Collection \`${a.alias}\` already exists!`);
      next.set(a.alias, a.collection);
    } else if (a.kind === "delete") {
      next.delete(a.alias);
    } else {
      const target = next.get(a.from);
      if (target === undefined) throw notFound(`Alias ${a.from} does not exists!`);
      if (d.collections.has(a.to)) throw new ApiError(409, `Wrong input: Collection \`${a.to}\` already exists!`);
      next.delete(a.from);
      next.set(a.to, target);
    }
  }
  d.aliases.clear();
  for (const [alias, target] of next) d.aliases.set(alias, target);
  d.commit++;
}

async function changeAliases(ctx: RequestCtx): Promise<Reply> {
  const actions = parseActions(Reader.of(await readJson(ctx), ""));
  requireManage(ctx);
  applyActions(ctx.node.deployment, actions);
  return okReply(true, ctx.startedAt);
}

export const aliasRoutes: Route[] = [
  { method: "GET", path: "/aliases", handler: listAll },
  { method: "GET", path: "/collections/:name/aliases", handler: listForCollection },
  { method: "POST", path: "/collections/aliases", handler: changeAliases },
];
