// The console's stylesheet (served as assets/console.css): Bull Board's colours, font and card shapes,
// taken from @bull-board/ui 9.10's main.css, so the overview, report and why pages read as the same
// app as the board at /ui. Kept in TypeScript so `tsc` ships it in dist/ with the code that serves it.

/** Bull Board's light palette (its `:root` tokens). */
const LIGHT = {
  background: '#f3f5f7',
  foreground: '#20262c',
  card: '#fff',
  primary: '#0f6f64',
  'primary-foreground': '#f0faf8',
  secondary: '#e7ecef',
  muted: '#eaeef2',
  'muted-foreground': '#5f6b76',
  border: '#e2e7ec',
  input: '#d4dbe2',
  'status-failed': '#ef4444',
  'status-completed': '#16a34a',
  'status-waiting': '#d97706',
  'status-active': '#2563eb',
  'status-delayed': '#7c3aed',
  'status-paused': '#6b6560',
  'status-prioritized': '#c026d3',
  grid: '#e2e7ec',
} as const;

/** Bull Board's dark palette (its `.dark-mode` tokens). */
const DARK: Record<keyof typeof LIGHT, string> = {
  background: '#151a21',
  foreground: '#d5dce4',
  card: '#1c232d',
  primary: '#3ecfb2',
  'primary-foreground': '#0c1f1b',
  secondary: '#242d39',
  muted: '#232b36',
  'muted-foreground': '#8b96a5',
  border: '#2a3340',
  input: '#333e4d',
  'status-failed': '#d95c5c',
  'status-completed': '#34a85e',
  'status-waiting': '#c9a13a',
  'status-active': '#5b8ad7',
  'status-delayed': '#9374dc',
  'status-paused': '#a29e96',
  'status-prioritized': '#c366d1',
  grid: '#2a3340',
};

const tokens = (palette: Record<string, string>): string =>
  Object.entries(palette)
    .map(([name, value]) => `--${name}:${value};`)
    .join('');

// Dark when the page says so (the toggle), or when the system prefers it and the page does not say light.
const THEMES = `:root{${tokens(LIGHT)}color-scheme:light}
:root[data-theme=dark]{${tokens(DARK)}color-scheme:dark}
@media (prefers-color-scheme: dark){:root:not([data-theme=light]){${tokens(DARK)}color-scheme:dark}}`;

const LAYOUT = `
:root{--radius:.375rem;--radius-lg:calc(var(--radius) + 4px);--header-height:56px;
--font-sans:"IBM Plex Sans",system-ui,-apple-system,"Segoe UI",sans-serif;
--font-mono:"IBM Plex Mono",ui-monospace,SFMono-Regular,Menlo,monospace}
*,*::before,*::after{box-sizing:border-box}
html,body{margin:0}
body{background:var(--background);color:var(--foreground);font:14px/1.4 var(--font-sans);-webkit-font-smoothing:antialiased}
a{color:var(--primary);text-decoration:none}a:hover{text-decoration:underline}
code,.mono{font-family:var(--font-mono);font-size:.8rem;overflow-wrap:anywhere}
.console-header{position:sticky;top:0;z-index:10;display:flex;align-items:center;gap:1.5rem;height:var(--header-height);
padding:0 1.5rem;background:var(--card);border-bottom:1px solid var(--border)}
.brand{display:flex;align-items:center;gap:.5rem;font-weight:600;font-size:1.05rem;color:var(--foreground);white-space:nowrap}
.brand:hover{text-decoration:none}.brand img{width:1.3em;height:1.3em}
.console-nav{display:flex;gap:.25rem;flex:1;min-width:0;overflow-x:auto}
.console-nav a{padding:.45em .8em;border-radius:var(--radius);color:var(--muted-foreground);font-weight:500;white-space:nowrap}
.console-nav a:hover{background:color-mix(in srgb,var(--primary) 8%,transparent);color:var(--foreground);text-decoration:none}
.console-nav a[aria-current=page]{background:color-mix(in srgb,var(--primary) 16%,transparent);color:var(--primary)}
.theme-toggle{font:inherit;font-size:.85rem;color:var(--muted-foreground);background:var(--card);border:0;border-radius:var(--radius);
box-shadow:0 0 0 1px var(--input) inset;padding:.4em .8em;cursor:pointer;white-space:nowrap}
.theme-toggle:hover{color:var(--foreground);background:color-mix(in srgb,var(--primary) 8%,transparent)}
main{padding:1.25rem 1.5rem 2rem;max-width:1680px;margin:0 auto}
.page-title{display:flex;align-items:baseline;justify-content:space-between;gap:1rem;flex-wrap:wrap;margin:0 0 1rem}
h1{font-size:1.35rem;font-weight:600;margin:0}
h2{font-size:.8rem;font-weight:600;margin:0 0 .75rem;color:var(--muted-foreground);text-transform:uppercase;letter-spacing:.06em}
.muted{color:var(--muted-foreground)}
.nowrap{white-space:nowrap}
form.inline{display:flex;gap:.5rem;align-items:center}
input{font:inherit;color:var(--foreground);background:var(--card);border:0;border-radius:var(--radius);
box-shadow:0 0 0 1px var(--input) inset;padding:.4em .6em}
button.primary{font:inherit;font-weight:500;color:var(--primary-foreground);background:var(--primary);border:0;
border-radius:var(--radius);padding:.45em .9em;cursor:pointer}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,430px),1fr));margin-bottom:1rem}
.grid.wide{grid-template-columns:1fr}
.split{display:grid;gap:1rem;grid-template-columns:minmax(0,2fr) minmax(280px,1fr);align-items:start}
.split>.panel:last-child{position:sticky;top:calc(var(--header-height) + 1rem)}
.split th{white-space:nowrap}
.fact+.fact{margin-top:.4rem}
.panel{background:var(--card);box-shadow:0 0 0 1px var(--border);border-radius:var(--radius-lg);padding:1rem 1.25rem;min-width:0}
.figures{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(145px,1fr));margin-bottom:1rem}
.figure{background:var(--card);box-shadow:0 0 0 1px var(--border);border-radius:var(--radius-lg);padding:.7rem 1rem;min-width:0;
border-top:3px solid var(--accent-color,var(--border))}
.figure .label{display:block;color:var(--muted-foreground);font-size:.72rem;font-weight:600;text-transform:uppercase;letter-spacing:.06em}
.figure .value{display:block;font-size:1.55rem;font-weight:600;font-variant-numeric:tabular-nums;margin-top:.15rem;white-space:nowrap;
overflow:hidden;text-overflow:ellipsis}
.figure .note{display:block;color:var(--muted-foreground);font-size:.78rem;margin-top:.1rem;overflow-wrap:anywhere}
.tone-ok{--accent-color:var(--status-completed)}.tone-bad{--accent-color:var(--status-failed)}
.tone-warn{--accent-color:var(--status-waiting)}.tone-info{--accent-color:var(--status-active)}
.tone-idle{--accent-color:var(--status-paused)}
.bars{list-style:none;margin:0;padding:0;display:grid;gap:.45rem}
.bars li{display:grid;grid-template-columns:minmax(6rem,13rem) 1fr auto;gap:.75rem;align-items:center}
.bar-label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar-track{height:.7rem;background:var(--muted);border-radius:500rem;overflow:hidden;display:flex}
.bar-fill{display:block;height:100%;background:var(--bar-color,var(--primary));min-width:0}
.bar-value{font-variant-numeric:tabular-nums;color:var(--muted-foreground);white-space:nowrap;text-align:right;min-width:3ch}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.6rem 0 0;padding:0;list-style:none;font-size:.78rem;
color:var(--muted-foreground)}
.legend li::before{content:"";display:inline-block;width:.65em;height:.65em;border-radius:2px;margin-right:.35em;
background:var(--bar-color)}
.c-ok{--bar-color:var(--status-completed)}.c-bad{--bar-color:var(--status-failed)}.c-wait{--bar-color:var(--status-waiting)}
.c-active{--bar-color:var(--status-active)}.c-delayed{--bar-color:var(--status-delayed)}.c-idle{--bar-color:var(--status-paused)}
.c-extra{--bar-color:var(--status-prioritized)}
table.list{width:100%;border-collapse:collapse}
table.list th{text-align:left;font-size:.72rem;font-weight:600;text-transform:uppercase;letter-spacing:.06em;color:var(--muted-foreground);
padding:.4rem .5rem;border-bottom:1px solid var(--border)}
table.list td{padding:.45rem .5rem;border-bottom:1px solid var(--border);vertical-align:top}
table.list tr:last-child td{border-bottom:0}
.pill{display:inline-block;padding:.1em .55em;border-radius:500rem;font-size:.75rem;font-weight:500;white-space:nowrap;
background:color-mix(in srgb,var(--bar-color,var(--muted-foreground)) 15%,transparent);color:var(--bar-color,var(--muted-foreground))}
.empty{color:var(--muted-foreground);font-style:italic;margin:0}
.timeline{list-style:none;margin:0;padding:0 0 0 1.4rem;position:relative}
.timeline::before{content:"";position:absolute;left:.4rem;top:.3rem;bottom:.3rem;width:2px;background:var(--border)}
.timeline li{position:relative;padding:0 0 1rem}
.timeline li::before{content:"";position:absolute;left:-1.3rem;top:.3rem;width:.7rem;height:.7rem;border-radius:50%;
background:var(--card);box-shadow:0 0 0 2px var(--bar-color,var(--muted-foreground))}
.timeline .when{display:flex;gap:.6rem;align-items:center;font-size:.78rem;color:var(--muted-foreground);font-variant-numeric:tabular-nums}
.timeline .what{margin:.2rem 0 0;overflow-wrap:anywhere}
.attention{list-style:none;margin:0;padding:0;display:grid;gap:.4rem}
.attention li{display:flex;gap:.6rem;align-items:baseline;overflow-wrap:anywhere}
.chart{min-height:190px;position:relative;overflow:hidden}
.chart .u-legend{font-size:.78rem;color:var(--muted-foreground)}
.chart-note{font-size:.78rem;color:var(--muted-foreground);margin:.4rem 0 0}
.gauge{height:.9rem;background:var(--muted);border-radius:500rem;overflow:hidden;margin:.5rem 0 .3rem}
.gauge span{display:block;height:100%;background:var(--bar-color,var(--primary))}
@media (max-width:1000px){.split{grid-template-columns:1fr}.split>.panel:last-child{position:static}}
@media (max-width:900px){.console-header{gap:.75rem;padding:0 .75rem}main{padding:1rem .75rem}.bars li{grid-template-columns:7rem 1fr auto}}
`;

export const CONSOLE_CSS = `${THEMES}\n${LAYOUT.trim()}\n`;
