// The services list is what the home page is for, so its request starts while the HTML is still being
// parsed (an inline script), not after the page's JavaScript has loaded and React has hydrated, which on
// a small, busy server takes a few hundred milliseconds. The query's first fetch takes that response;
// anything unusual (no token, 401, an error) falls back to the ordinary client with its refresh logic.

declare global {
  interface Window {
    __sdmdEarly?: Record<string, { at: number; response: Promise<unknown> }>;
  }
}

const MAX_AGE_MS = 10_000;

/** Inline script for the page's HTML: starts GET `path` with the session's token, if it has one. */
export function earlyFetchScript(path: string): string {
  const p = JSON.stringify(path);
  return `try{var s=JSON.parse(sessionStorage.getItem("sdmd.session")||"null");`
    + `if(s&&s.access_token&&(!s.expires_at||s.expires_at-Date.now()>30000)){`
    + `(window.__sdmdEarly=window.__sdmdEarly||{})[${p}]={at:Date.now(),response:fetch(${p},{headers:`
    + `{Accept:"application/json",Authorization:"Bearer "+s.access_token}}).then(function(r){return r.ok?r.json():null})`
    + `.catch(function(){return null})}}}catch(e){}`;
}

/** The early response for `path`, once; null when there is none, it failed or it is stale. */
export async function takeEarly<T>(path: string): Promise<T | null> {
  if (typeof window === "undefined") return null;
  const entry = window.__sdmdEarly?.[path];
  if (!entry) return null;
  delete window.__sdmdEarly![path];
  if (Date.now() - entry.at > MAX_AGE_MS) return null;
  return ((await entry.response) as T | null) ?? null;
}
