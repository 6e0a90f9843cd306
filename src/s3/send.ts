/** Sending SDK commands with the run's abort signal without re-resolving the middleware stack for every request. */
import { S3Client, type ServiceInputTypes, type ServiceOutputTypes } from "@aws-sdk/client-s3";

import { InterruptedError } from "../errors.js";

/** What `client.send(command, { abortSignal })` does, with the resolved middleware handler kept per command class. */
export type Send = <I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: SdkCommand<I, O>) => Promise<O>;

/** The part of an SDK command this uses: its input and Command.resolveMiddleware (public API). */
interface SdkCommand<I extends ServiceInputTypes, O extends ServiceOutputTypes> {
  readonly input: I;
  resolveMiddleware(
    stack: S3Client["middlewareStack"],
    config: S3Client["config"],
    options: { abortSignal?: AbortSignal },
  ): (args: { input: I }) => Promise<{ output: O }>;
}

/**
 * `client.send` resolves the client's whole middleware stack (about forty steps, cloned and sorted) for every request,
 * unless the options are undefined and the client caches (its `cacheMiddleware`); our requests carry the run's abort
 * signal, so this keeps the handler per command class with that one, fixed signal (or none): the SDK's own cache,
 * with options.
 */
export function cachedSend(client: S3Client, signal: AbortSignal | undefined): Send {
  const handlers = new Map<unknown, unknown>();
  const options = signal === undefined ? {} : { abortSignal: signal };
  return <I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: SdkCommand<I, O>): Promise<O> => {
    // Keyed by the command's class: one handler per class, as the SDK's own cache keeps them.
    let handler = handlers.get(command.constructor) as ((args: { input: I }) => Promise<{ output: O }>) | undefined;
    if (handler === undefined) {
      handler = command.resolveMiddleware(client.middlewareStack, client.config, options);
      handlers.set(command.constructor, handler);
    }
    return handler(command).then((result) => result.output);
  };
}

/**
 * `work`, or a rejection as soon as `signal` aborts while `work` goes on (as lib-storage's Upload does with its
 * single PutObject: the put stops waiting, the request is not cut, so an object already on its way still lands).
 */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new InterruptedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new InterruptedError());
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
