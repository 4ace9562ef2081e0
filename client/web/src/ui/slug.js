// A room's address from its title: Bulgarian letters by the official transliteration
// (the Transliteration Act, 2009: щ → sht, ъ → a, ю → yu, я → ya, ия at a word's end → ia),
// then lower-case letters, digits and single hyphens, at most 64 characters.
const LETTERS = {
  а: "a", б: "b", в: "v", г: "g", д: "d", е: "e", ж: "zh", з: "z", и: "i", й: "y", к: "k",
  л: "l", м: "m", н: "n", о: "o", п: "p", р: "r", с: "s", т: "t", у: "u", ф: "f", х: "h",
  ц: "ts", ч: "ch", ш: "sh", щ: "sht", ъ: "a", ь: "y", ю: "yu", я: "ya",
};

export function slugFrom(title) {
  const latin = String(title)
    .toLowerCase()
    .replace(/ия\b/g, "ia")
    .replace(/[а-я]/g, (letter) => LETTERS[letter] ?? "");
  return latin
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/g, "");
}
