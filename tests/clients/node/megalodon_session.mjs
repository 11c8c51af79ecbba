// A short megalodon session: detect the server from NodeInfo, register an app, print the
// authorisation URL, read the code the user pasted (stdin), exchange it, verify credentials, post,
// read the home timeline and the notifications. Prints the app as one JSON line, then the result.
// usage: node megalodon_session.mjs BASE_URL
import readline from "node:readline";
import pkg from "megalodon";

const { default: generator, detector } = pkg;
const url = process.argv[2];
const sns = await detector(url);
const anon = generator(sns, url);
const app = await anon.registerApp("megalodon test", { scopes: ["read", "write", "follow"] });
console.log(JSON.stringify({ sns, client_id: app.client_id, url: app.url }));

const lines = readline.createInterface({ input: process.stdin });
const code = (await lines[Symbol.asyncIterator]().next()).value.trim();
lines.close();
const token = await anon.fetchAccessToken(app.client_id, app.client_secret, code, "urn:ietf:wg:oauth:2.0:oob");
const client = generator(sns, url, token.access_token);
const me = await client.verifyAccountCredentials();
const posted = await client.postStatus("hello from megalodon", { visibility: "public" });
const home = await client.getHomeTimeline({ limit: 20 });
const notifications = await client.getNotifications();
console.log(JSON.stringify({
  acct: me.data.acct,
  posted: posted.data.id,
  home: home.data.map((s) => s.id),
  notifications: notifications.data.map((n) => [n.type, n.account?.acct]),
}));
process.exit(0);
