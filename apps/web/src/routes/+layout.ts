// A single-page app: the browser renders everything, and every route is served by the fallback page.
export const ssr = false;
export const prerender = false;
