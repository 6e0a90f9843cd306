// s3rver escapes XML text twice (he.escape in a tagValueProcessor, then fast-xml-parser's own entity escaping), so
// a key such as "it's & more" came back from ListObjectsV2 as "it&#x27;s &amp; more". Responses and error bodies
// are serialised here instead, with one level of escaping.
import type { Middleware, S3ErrorClass, S3rverApp } from "./s3rver-internals.js";
import { loadXmlBuilder } from "./s3rver-internals.js";

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Serialises plain-object bodies before s3rver's own XML middleware would, and fixes S3Error.toXML. */
export function installXmlPatch(app: S3rverApp, S3Error: S3ErrorClass): void {
  const build = loadXmlBuilder();
  // s3rver's serialiser is the middleware whose source builds ctx.body; ours must run just inside it.
  const index = app.middleware.findIndex((fn) => String(fn).includes("builder.build(ctx.body)"));
  if (index === -1) throw new Error("s3rver's XML middleware not found; the patches target version 4.0.4");
  const serialise: Middleware = async (ctx, next) => {
    await next();
    if (!isPlainObject(ctx.body)) return;
    ctx.type = "application/xml";
    ctx.body = XML_DECLARATION + build(ctx.body);
  };
  app.middleware.splice(index + 1, 0, serialise);

  Reflect.set(S3Error.prototype, "toXML", function toXML(this: InstanceType<S3ErrorClass>): string {
    const detail: unknown = Reflect.get(this, "detail");
    const extra = typeof detail === "object" && detail !== null ? detail : {};
    return XML_DECLARATION + build({ Error: { Code: this.code, Message: this.message, ...extra } });
  });
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
