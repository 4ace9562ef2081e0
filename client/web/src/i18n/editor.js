// Messages of the editor area, in Bulgarian and English.
export const catalog = {
  bg: {},
  en: {},
};
