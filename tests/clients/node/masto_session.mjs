// A short masto.js session: register an app, password grant, verify credentials, subscribe to the
// user stream over WebSocket, post, wait for the post on the stream, read the home timeline and
// the notifications. Prints one JSON object with what it saw.
// usage: node masto_session.mjs BASE_URL USERNAME PASSWORD
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } from "masto";

const [url, username, password] = process.argv.slice(2);
const scopes = "read write follow";
const app = await createRestAPIClient({ url }).v1.apps.create({
  clientName: "masto.js test", redirectUris: "urn:ietf:wg:oauth:2.0:oob", scopes });
const token = await createOAuthAPIClient({ url }).token.create({
  grantType: "password", clientId: app.clientId, clientSecret: app.clientSecret,
  redirectUri: "urn:ietf:wg:oauth:2.0:oob", username, password, scope: scopes });
const api = createRestAPIClient({ url, accessToken: token.accessToken });
const me = await api.v1.accounts.verifyCredentials();

const instance = await api.v2.instance.fetch();
const streamingApiUrl = instance.configuration.urls.streaming;
const streaming = createStreamingAPIClient({ streamingApiUrl, accessToken: token.accessToken, retry: false });
const subscription = streaming.user.subscribe();
const events = subscription[Symbol.asyncIterator]();
await new Promise((resolve) => setTimeout(resolve, 500));  // let the subscribe message arrive first

const posted = await api.v1.statuses.create({ status: "hello from masto.js", visibility: "public" });
let streamed = null;
const deadline = Date.now() + 10000;
let pending = events.next();  // one outstanding read; a timed-out race must not drop an event
while (!streamed && Date.now() < deadline) {
  const next = await Promise.race([pending, new Promise((r) => setTimeout(() => r(null), 1000))]);
  if (next === null) continue;
  if (next.done) break;
  if (next.value.event === "update" && next.value.payload.id === posted.id) streamed = next.value;
  pending = events.next();
}
subscription.unsubscribe();
streaming.close();

const home = await api.v1.timelines.home.list({ limit: 20 });
const notifications = await api.v1.notifications.list();
console.log(JSON.stringify({
  acct: me.acct,
  streamingApiUrl,
  posted: posted.id,
  streamed: streamed && { stream: streamed.stream, id: streamed.payload.id },
  home: home.map((s) => s.id),
  notifications: notifications.map((n) => [n.type, n.account.acct]),
}));
process.exit(0);
