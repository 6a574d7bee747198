// An image to pull given as `app:v1` in the Image field, or `app` plus `v1` in the Tag field, or both the
// same: one reference, never `app:v1:v1`; two different tags are an error on the Tag field.

export interface ImageRef {
  repository: string;
  tag: string | null;
}

/** "127.0.0.1:5000/team/app:v1" → repository and tag (a registry's :port is not a tag). */
export function splitImage(image: string): ImageRef {
  const ref = image.trim();
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash && !ref.slice(colon).includes("@")) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) || null };
  return { repository: ref, tag: null };
}

export type PullPlan =
  | { ok: true; ref: string; body: { image: string; tag?: string } }
  | { ok: false; field: "image" | "tag"; error: string };

export function planPull(imageField: string, tagField: string): PullPlan {
  const image = imageField.trim();
  if (!image) return { ok: false, field: "image", error: "an image is required" };
  if (/\s/.test(image)) return { ok: false, field: "image", error: "no spaces in an image reference" };
  const tag = tagField.trim().replace(/^:/, "");
  if (/\s/.test(tag)) return { ok: false, field: "tag", error: "no spaces in a tag" };
  const { repository, tag: own } = splitImage(image);
  if (own && tag && own !== tag) {
    return { ok: false, field: "tag", error: `the image already names the tag ${own}: clear this field, or make it ${own}` };
  }
  const chosen = tag || own;
  return {
    ok: true,
    ref: `${repository}:${chosen ?? "latest"}`,
    body: chosen ? { image: repository, tag: chosen } : { image: repository },
  };
}
