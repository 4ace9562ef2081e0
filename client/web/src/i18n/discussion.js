// Messages of the discussion area, in Bulgarian and English.
export const catalog = {
  bg: {},
  en: {},
};
