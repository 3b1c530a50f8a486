/**
 * Every push the pages of a browser context send, read off the wire: a `Push` mutation (by hash or text)
 * POSTed to `/graphql`, or sent as a graphql-ws `subscribe` message on the live connection (where
 * the client pushes while its socket is open).
 *
 *   onPushSent(context, (page, input) => pushes.push(input));
 */
import type { BrowserContext, Page } from "playwright-core";
import { sentOperationName } from "../helpers/sent-operation.js";

/** What a push names: the `pushRecords` input as the page sent it. */
export interface WirePush {
  dataset: string;
  mutationId: string;
  patches: Array<{ key: string }>;
}

interface Operation {
  query?: string;
  variables?: { input?: WirePush };
}

const pushOf = (operation: Operation | undefined): WirePush | null =>
  sentOperationName(operation) === "Push" && operation?.variables?.input ? operation.variables.input : null;

/** Calls `sent` with each push any page of `context` (present or later) sends, over HTTP or the socket. */
export function onPushSent(context: BrowserContext, sent: (page: Page, push: WirePush) => void): void {
  context.on("request", (request) => {
    if (!request.url().endsWith("/graphql") || request.method() !== "POST") return;
    const push = pushOf(request.postDataJSON() as Operation);
    if (push) sent(request.frame().page(), push);
  });
  const watch = (page: Page) =>
    page.on("websocket", (socket) =>
      socket.on("framesent", ({ payload }) => {
        if (typeof payload !== "string") return;
        const message = JSON.parse(payload) as { type?: string; payload?: Operation };
        const push = message.type === "subscribe" ? pushOf(message.payload) : null;
        if (push) sent(page, push);
      }),
    );
  context.pages().forEach(watch);
  context.on("page", watch);
}
