// Messages of the decisions area, in Bulgarian and English.
export const catalog = {
  bg: {},
  en: {},
};
