// The directory's reference data (GET /directory/terms and /directory/regions: the kinds,
// sectors, oblasts and municipalities), read once per page load and shared by every screen,
// with their names in the language of the page: Bulgarian names, or their official Latin form
// (and the English names of kinds and sectors) in English.
import { get } from "../api.js";
import { locale } from "../i18n/index.js";

let loading = null;

/** {kinds, sectors, oblasts, municipalities}; the promise is kept, so it is read once. */
export function reference() {
  loading ??= Promise.all([get("/directory/terms", { auth: false }), get("/directory/regions", { auth: false })])
    .then(([terms, regions]) => ({ ...terms, ...regions }))
    .catch((error) => {
      loading = null; // try again next time
      throw error;
    });
  return loading;
}

/** A kind's or a sector's name in the page's language (its slug when unknown). */
export function termName(terms, slug) {
  const term = terms?.find((entry) => entry.slug === slug);
  if (!term) return slug;
  return locale() === "bg" ? term.bg : term.en;
}

/** A place ({code, name, name_latin}) in the page's script. */
export function placeName(place) {
  if (!place) return "";
  return locale() === "bg" ? place.name : place.name_latin;
}

/** An oblast's name from its code. */
export function oblastName(ref, code) {
  return placeName(ref?.oblasts.find((entry) => entry.code === code)) || code || "";
}

/** The municipalities of an oblast, sorted by their name in the page's script. */
export function municipalitiesOf(ref, oblast) {
  if (!ref || !oblast) return [];
  const collator = new Intl.Collator(locale());
  return ref.municipalities
    .filter((entry) => entry.oblast === oblast)
    .sort((a, b) => collator.compare(placeName(a), placeName(b)));
}

/** The oblasts, sorted by their name in the page's script. */
export function sortedOblasts(ref) {
  if (!ref) return [];
  const collator = new Intl.Collator(locale());
  return [...ref.oblasts].sort((a, b) => collator.compare(placeName(a), placeName(b)));
}

/** An organisation's page in the app. */
export const organisationPath = (slug) => `/directory/${encodeURIComponent(slug)}`;
