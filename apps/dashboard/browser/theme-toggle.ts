// Light, dark or the system's choice, on every console page, shared with Bull Board.
//
// A classic script loaded in <head>, so the theme is set before the first paint. The choice is kept
// where Bull Board keeps its own (localStorage `board-settings`, `state.theme`: 'system' | 'light' |
// 'dark'), so switching on the overview switches the board too, and the other way round.

(() => {
  type Theme = 'system' | 'light' | 'dark';
  const STORAGE_KEY = 'board-settings';
  const ORDER: readonly Theme[] = ['system', 'light', 'dark'];
  const LABELS: Readonly<Record<Theme, string>> = { system: '◐ Auto', light: '☀ Light', dark: '☾ Dark' };

  const readSettings = (): { state?: Record<string, unknown>; version?: number } => {
    try {
      const parsed: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}');
      return typeof parsed === 'object' && parsed !== null ? parsed : {};
    } catch {
      return {};
    }
  };

  const stored = (): Theme => {
    const theme = readSettings().state?.theme;
    return theme === 'light' || theme === 'dark' ? theme : 'system';
  };

  const apply = (theme: Theme): void => {
    const root = document.documentElement;
    if (theme === 'system') delete root.dataset.theme;
    else root.dataset.theme = theme;
    const button = document.getElementById('theme-toggle');
    if (button) button.textContent = LABELS[theme];
    document.dispatchEvent(new CustomEvent('console-theme'));
  };

  const save = (theme: Theme): void => {
    const settings = readSettings();
    // The board's store fills every setting it does not find with its default.
    const next = { ...settings, state: { ...settings.state, theme }, version: settings.version ?? 2 };
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Storage off (a private window): the choice lasts for this page only.
    }
  };

  apply(stored());
  window.addEventListener('storage', (event) => {
    if (event.key === STORAGE_KEY) apply(stored());
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => apply(stored()));
  document.addEventListener('DOMContentLoaded', () => {
    const button = document.getElementById('theme-toggle');
    if (!button) return;
    let current = stored();
    button.textContent = LABELS[current];
    button.addEventListener('click', () => {
      current = ORDER[(ORDER.indexOf(current) + 1) % ORDER.length] ?? 'system';
      save(current);
      apply(current);
    });
  });
})();
