/**
 * The family service on the app's own origin, as a Vite plugin for the dev server (`npm run demo`)
 * and the preview server (the browser tests):
 *
 *   POST /family/create                      -> 200 { family, invite }
 *   POST /family/join   { "invite": "..." }  -> 200 { family, invite }
 *
 * Both need `Authorization: Bearer <identity token>`. A refusal answers
 * `{ error: { code, message, field? } }` with the status of its `FamilyError`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Connect, Plugin } from "vite";
import { FamilyError, type FamilyService } from "./family-service.js";

/** Larger bodies are refused: the only input is an invite code. */
const MAX_BODY_BYTES = 4_096;

/** Serves `service` under `/family/`. */
export function familyRoutes(service: FamilyService): Plugin {
  const middleware: Connect.NextHandleFunction = (request, response, next) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== "/family/create" && path !== "/family/join") return next();
    void answer(request, response, async () => {
      if (request.method !== "POST") throw new FamilyError("BAD_USER_INPUT", "use POST", 405);
      const token = bearerOf(request);
      if (path === "/family/create") return service.create(token);
      const body = await readJson(request);
      return service.join(token, body !== null && typeof body === "object" ? (body as { invite?: unknown }).invite : undefined);
    });
  };
  return {
    name: "notes-family",
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, run: () => Promise<unknown>): Promise<void> {
  let status = 200;
  let body: unknown;
  try {
    body = await run();
  } catch (error) {
    const refusal = error instanceof FamilyError ? error : new FamilyError("INTERNAL_SERVER_ERROR", "the family service failed", 500);
    if (!(error instanceof FamilyError)) console.error(`${request.method} ${request.url}:`, error);
    status = refusal.status;
    body = { error: { code: refusal.code, message: refusal.message, ...(refusal.field ? { field: refusal.field } : {}) } };
  }
  response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  response.end(JSON.stringify(body));
}

function bearerOf(request: IncomingMessage): string | null {
  const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "");
  return match?.[1] ?? null;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new FamilyError("BAD_USER_INPUT", `the body is over ${MAX_BODY_BYTES} bytes`, 413);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new FamilyError("BAD_USER_INPUT", "expected a JSON body such as { \"invite\": \"family-1-...\" }", 400);
  }
}
