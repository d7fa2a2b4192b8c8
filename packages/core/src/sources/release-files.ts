// What PyPI's JSON API says about one release's files: the sdist gate's second opinion when the
// changelog's file events cannot say (RSS mode, a backfill that starts mid-release, a re-check).

/** One `GET {base}/pypi/NAME/VERSION/json`, reduced to what deciding a build needs. */
export interface ReleaseFiles {
  /** False on 404: PyPI does not know this release (removed, or never existed). */
  readonly found: boolean;
  /** Some entry of `urls` has `packagetype: "sdist"` and is not yanked. */
  readonly hasSdist: boolean;
  /** Every file is yanked (`info.yanked`). */
  readonly yanked: boolean;
  /**
   * The response's `X-PyPI-Last-Serial`: the project serial the (CDN-cached) page reflects.
   * A page whose serial is below the event that sent us there is stale: ask again later.
   */
  readonly lastSerial?: number;
  /** Earliest `upload_time_iso_8601` among the files (unix ms): about when the release was made. */
  readonly firstUploadAt?: number;
}

/** Asks PyPI about one release; throws a SourceError subclass when PyPI cannot be asked. */
export interface ReleaseFilesLookup {
  lookup(name: string, version: string): Promise<ReleaseFiles>;
}
