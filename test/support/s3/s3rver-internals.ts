// Typed access to the parts of @20minutes/s3rver 4.0.4 (CommonJS, untyped) that the server script wraps.
// The package is loaded at runtime and patched in memory; nothing under node_modules is edited.
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";

const requireFromHere = createRequire(import.meta.url);
const PACKAGE = "@20minutes/s3rver";

/** The slice of a Koa context that the patches read or write. */
export interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string | undefined>;
  req: IncomingMessage;
  status: number;
  /** Response Content-Type (Koa accepts a MIME type or an extension). */
  type: string;
  body: unknown;
  request: { body: unknown };
  store: FilesystemStore;
}

export type Next = () => Promise<void>;
export type Middleware = (ctx: KoaContext, next: Next) => Promise<void>;
export type Controller = (ctx: KoaContext) => Promise<void>;

/** s3rver's on-disk store (lib/stores/filesystem.js). */
export interface FilesystemStore {
  /** Path of `<key>._S3rver_<resource>`; with key undefined, a bucket-level resource such as `uploads`. */
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  /** Rejects with an ENOENT error when the object does not exist. */
  getMetadata(bucket: string, key: string): Promise<{ etag: string }>;
}

export interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
}

/** The Koa application subclass exported by the package. */
export interface S3rverApp {
  /** Koa's middleware list; composed when the server starts listening, so it can be extended before run(). */
  middleware: Middleware[];
  store: FilesystemStore;
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections(): void };
}

/** s3rver's error type: thrown inside a request, it becomes an S3 XML error body with the code's status. */
export interface S3ErrorInstance extends Error {
  code: string;
  status: number;
}

export type S3ErrorClass = new (
  code: string,
  message: string,
  detail?: Record<string, string | number>,
) => S3ErrorInstance;

/** The canonical request s3rver's auth middleware builds (lib/middleware/authentication.js). */
export interface CanonicalRequest {
  uri: string;
  querystring: string;
  headers: object;
}

export type GetStringToSign = (canonicalRequest: CanonicalRequest, signature: unknown) => string;

/** A loaded CommonJS module whose named functions can be read and replaced. */
export class PatchableModule<Names extends string> {
  private readonly exportsObject: Record<string, unknown>;

  constructor(id: string, names: readonly Names[]) {
    const loaded: unknown = requireFromHere(`${PACKAGE}/${id}`);
    if (typeof loaded !== "object" || loaded === null) throw new Error(`${PACKAGE}/${id} is not an object module`);
    for (const name of names) {
      if (typeof Reflect.get(loaded, name) !== "function") {
        throw new Error(`${PACKAGE}/${id} has no function ${name}; the patches target version 4.0.4`);
      }
    }
    this.exportsObject = loaded as Record<string, unknown>;
  }

  /** Replaces an export; callers (the router, the auth middleware) look it up on every request. */
  wrap<F>(name: Names, makeReplacement: (original: F) => F): void {
    const original = this.exportsObject[name] as F;
    this.exportsObject[name] = makeReplacement(original);
  }
}

/** Loads the object controller: the functions the router calls for object-level requests. */
export function loadObjectController(): PatchableModule<"putObject" | "completeMultipartUpload" | "deleteObject"> {
  return new PatchableModule("lib/controllers/object", ["putObject", "completeMultipartUpload", "deleteObject"]);
}

/** Loads the bucket controller: the functions the router calls for bucket-level requests. */
export function loadBucketController(): PatchableModule<"getBucket"> {
  return new PatchableModule("lib/controllers/bucket", ["getBucket"]);
}

/** Loads the SigV4 helpers used by the authentication middleware. */
export function loadSignatureV4(): PatchableModule<"getStringToSign"> {
  return new PatchableModule("lib/signature/v4", ["getStringToSign"]);
}

/** Loads the S3Error class (lib/models/error.js). */
export function loadS3Error(): S3ErrorClass {
  const loaded: unknown = requireFromHere(`${PACKAGE}/lib/models/error`);
  if (typeof loaded !== "function") throw new Error(`${PACKAGE}/lib/models/error does not export a class`);
  return loaded as S3ErrorClass;
}

/** Serialises a plain object the way s3rver's responses are shaped (attributes under "@"), escaping text once. */
export function loadXmlBuilder(): (body: object) => string {
  // fast-xml-parser as s3rver itself resolves it.
  const requireFromPackage = createRequire(requireFromHere.resolve(PACKAGE));
  const loaded: unknown = requireFromPackage("fast-xml-parser");
  const XMLBuilder: unknown =
    typeof loaded === "object" && loaded !== null ? Reflect.get(loaded, "XMLBuilder") : undefined;
  if (typeof XMLBuilder !== "function") throw new Error("fast-xml-parser has no XMLBuilder");
  const builder: unknown = Reflect.construct(XMLBuilder, [{ ignoreAttributes: false, attributesGroupName: "@" }]);
  const build: unknown = typeof builder === "object" && builder !== null ? Reflect.get(builder, "build") : undefined;
  if (typeof build !== "function") throw new Error("fast-xml-parser's XMLBuilder has no build()");
  return (body) => String(Reflect.apply(build, builder, [body]));
}

/** Creates the (not yet listening) s3rver application. */
export function createS3rverApp(options: S3rverOptions): S3rverApp {
  const loaded: unknown = requireFromHere(PACKAGE);
  if (typeof loaded !== "function") throw new Error(`${PACKAGE} does not export a class`);
  const S3rver = loaded as new (options: S3rverOptions) => S3rverApp;
  return new S3rver(options);
}

/** True when err is an s3rver S3Error with the given code. */
export function isS3Error(err: unknown, code: string): err is S3ErrorInstance {
  return err instanceof Error && Reflect.get(err, "code") === code && typeof Reflect.get(err, "status") === "number";
}

/** The first value of a header or query parameter, or undefined. */
export function readFirst(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
