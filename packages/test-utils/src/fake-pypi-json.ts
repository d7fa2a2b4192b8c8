// The fake PyPI's JSON API (`GET /pypi/NAME/VERSION/json`) and RSS item rendering, answered from the
// changelog event stream as warehouse would: warehouse/legacy/api/json.py (`_json_data`, `json_release`)
// and warehouse/templates/rss/updates.xml.

import { createHash } from 'node:crypto';

/** What the fake stores per changelog entry; `version` is null where PyPI sends `<nil/>`. */
export interface JournalEvent {
  readonly serial: number;
  readonly name: string;
  readonly version: string | null;
  readonly timestamp: number;
  readonly action: string;
}

interface FakeFile {
  readonly filename: string;
  readonly pythonVersion: string;
  readonly uploadedAt: number;
  readonly serial: number;
}

interface ReleaseState {
  readonly version: string;
  readonly files: Map<string, FakeFile>;
  yanked: boolean;
  yankedReason: string | null;
}

interface ProjectState {
  name: string;
  lastSerial: number;
  quarantined: boolean;
  readonly releases: Map<string, ReleaseState>;
}

const ADD_FILE = /^add (\S+) file (.+)$/;
const REMOVE_FILE = /^remove file (.+)$/;

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Replays one project's journal (in serial order) into what PyPI's database would hold. */
export function replayProject(events: readonly JournalEvent[], yankReasons: ReadonlyMap<number, string>): ProjectState | undefined {
  let project: ProjectState | undefined;
  for (const event of events) {
    project ??= { name: event.name, lastSerial: 0, quarantined: false, releases: new Map() };
    project.name = event.name;
    project.lastSerial = event.serial;
    const version = event.version ?? '';
    const release = (): ReleaseState => {
      let found = project!.releases.get(version);
      if (!found) {
        found = { version, files: new Map(), yanked: false, yankedReason: null };
        project!.releases.set(version, found);
      }
      return found;
    };
    const added = ADD_FILE.exec(event.action);
    const removedFile = REMOVE_FILE.exec(event.action);
    if (event.action === 'new release') release();
    else if (added)
      release().files.set(added[2]!, { filename: added[2]!, pythonVersion: added[1]!, uploadedAt: event.timestamp, serial: event.serial });
    else if (removedFile) project.releases.get(version)?.files.delete(removedFile[1]!);
    else if (event.action === 'yank release' || event.action === 'unyank release') {
      const target = project.releases.get(version);
      if (target) {
        target.yanked = event.action === 'yank release';
        target.yankedReason = target.yanked ? (yankReasons.get(event.serial) ?? null) : null;
      }
    } else if (event.action === 'remove release') project.releases.delete(version);
    else if (event.action === 'remove project') project.releases.clear();
    else if (event.action === 'project quarantined') project.quarantined = true;
    else if (event.action === 'project quarantine cleared') project.quarantined = false;
    // Release quarantine: warehouse's json.py filters only quarantined *projects*, so the page stays.
  }
  return project;
}

/** The body of `GET /pypi/NAME/VERSION/json` for a release that exists, shaped like warehouse's `_json_data`. */
export function releaseJson(project: ProjectState, version: string, baseUrl: string): Record<string, unknown> | undefined {
  const release = project.releases.get(version);
  if (!release || project.quarantined) return undefined;
  const normalized = normalizeName(project.name);
  // warehouse orders a release's files by filename.
  const urls = [...release.files.values()]
    .sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0))
    .map((file) => fileJson(file, release, baseUrl));
  return {
    info: {
      author: 'Fake Author',
      author_email: 'fake@example.org',
      bugtrack_url: null,
      classifiers: [],
      description: '',
      description_content_type: null,
      docs_url: null,
      download_url: null,
      downloads: { last_day: -1, last_month: -1, last_week: -1 },
      dynamic: null,
      home_page: null,
      keywords: null,
      license: null,
      license_expression: null,
      license_files: null,
      maintainer: null,
      maintainer_email: null,
      name: project.name,
      package_url: `${baseUrl}/project/${normalized}/`,
      platform: null,
      project_url: `${baseUrl}/project/${normalized}/`,
      project_urls: null,
      provides_extra: null,
      release_url: `${baseUrl}/project/${normalized}/${release.version}/`,
      requires_dist: null,
      requires_python: null,
      summary: summaryOf(project.name, release.version),
      version: release.version,
      yanked: release.yanked,
      yanked_reason: release.yankedReason,
    },
    last_serial: project.lastSerial,
    urls,
    vulnerabilities: [],
  };
}

function fileJson(file: FakeFile, release: ReleaseState, baseUrl: string): Record<string, unknown> {
  const sha256 = hex('sha256', file.filename);
  const uploaded = new Date(file.uploadedAt * 1000).toISOString().slice(0, 19);
  // Python's isoformat() + "Z": microseconds, which the fake derives from the serial.
  const micros = String(file.serial % 1_000_000).padStart(6, '0');
  return {
    comment_text: '',
    digests: { blake2b_256: hex('sha256', `blake2b:${file.filename}`), md5: hex('md5', file.filename), sha256 },
    downloads: -1,
    filename: file.filename,
    has_sig: false,
    md5_digest: hex('md5', file.filename),
    packagetype: file.pythonVersion === 'source' ? 'sdist' : file.filename.endsWith('.whl') ? 'bdist_wheel' : 'bdist_egg',
    python_version: file.pythonVersion,
    requires_python: null,
    size: 1000 + file.filename.length * 37,
    upload_time: uploaded,
    upload_time_iso_8601: `${uploaded}.${micros}Z`,
    url: `${baseUrl}/packages/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256.slice(4)}/${file.filename}`,
    yanked: release.yanked,
    yanked_reason: release.yankedReason,
  };
}

function hex(algorithm: 'sha256' | 'md5', text: string): string {
  return createHash(algorithm).update(text).digest('hex');
}

export function summaryOf(name: string, version: string): string {
  return `${name} ${version} release`;
}

/** One `<item>` as warehouse's Jinja template renders it (autoescape on, trim_blocks, lstrip_blocks). */
export function rssItem(event: JournalEvent, baseUrl: string): string {
  const version = event.version ?? '';
  return (
    '    <item>\n' +
    `      <title>${jinjaEscape(event.name)} ${jinjaEscape(version)}</title>\n` +
    `      <link>${jinjaEscape(`${baseUrl}/project/${normalizeName(event.name)}/${version}/`)}</link>\n` +
    `      <description>${jinjaEscape(summaryOf(event.name, version))}</description>\n` +
    `      <pubDate>${new Date(event.timestamp * 1000).toUTCString()}</pubDate>\n` +
    '    </item>'
  );
}

/** The whole feed around already-rendered items, with base.xml's exact whitespace. */
export function rssDocument(items: readonly string[], baseUrl: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n    <title>PyPI recent updates</title>\n' +
    `    <link>${baseUrl}/</link>\n    <description>Recent updates to the Python Package Index</description>\n` +
    `    <language>en</language>${items.join('')}  </channel>\n</rss>`
  );
}

/** markupsafe's escaping, which Jinja's autoescape uses (hence `&#39;` in real feeds). */
export function jinjaEscape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[char] ?? char);
}
