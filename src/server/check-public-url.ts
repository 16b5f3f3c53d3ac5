/**
 * Where an assessment vendor calls us back. The invitation carries the address, so it must be one
 * the vendor reaches, over https: never the listening address 0.0.0.0, which reaches nothing. Plain
 * http is allowed to a loopback address only, where the tests and the demo run the vendor.
 */
export interface PublicUrlSettings {
  /** STAGEGATE_PUBLIC_URL without a trailing slash, or null when unset. */
  publicUrl: string | null;
  /** HOST, the address the service listens on. */
  host: string;
}

/**
 * Why no tenant whose vendor calls back can be served, in words that say what to set; null when
 * the address is fine. Unset is fine only while the service listens on loopback (tests, the demo):
 * the listening address is then the one to call back.
 */
export function checkPublicUrl({ publicUrl, host }: PublicUrlSettings): string | null {
  const set =
    'set STAGEGATE_PUBLIC_URL to the https address the assessment vendor reaches this service at (e.g. https://stagegate.example.com)';
  if (publicUrl === null) {
    return isLoopback(host)
      ? null
      : `STAGEGATE_PUBLIC_URL is not set, and the listening address (HOST ${host}) is not one a vendor can call back: ${set}`;
  }
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    return `STAGEGATE_PUBLIC_URL ${publicUrl} is not a URL: ${set}`;
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return null;
  return `STAGEGATE_PUBLIC_URL ${publicUrl} is not https (plain http only to a loopback address, for tests and the demo): ${set}`;
}

/** The address to put in callback URLs, or null when there is none (see checkPublicUrl). */
export function callbackBase(settings: PublicUrlSettings, listeningUrl: string): string | null {
  if (checkPublicUrl(settings) !== null) return null;
  return settings.publicUrl ?? (listeningUrl === '' ? null : listeningUrl);
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
