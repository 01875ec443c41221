/** Light, dark, or as the system says (the default): kept in localStorage, set on <html>. */
import { signal } from "@preact/signals";

export type Theme = "system" | "light" | "dark";
const key = "hodei.theme";

const initial = (): Theme => {
  try {
    const t = localStorage.getItem(key);
    return t === "light" || t === "dark" ? t : "system";
  } catch {
    return "system";
  }
};

export const theme = signal<Theme>(initial());

export const applyTheme = (t: Theme): void => {
  theme.value = t;
  if (t === "system") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.setAttribute("data-theme", t);
  try {
    if (t === "system") localStorage.removeItem(key);
    else localStorage.setItem(key, t);
  } catch {
    // No storage: the choice lasts as long as the page.
  }
};
