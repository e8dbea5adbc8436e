/**
 * Looking for a secret the way a leak would carry it: in clear, percent-encoded, as hex (how
 * PostgreSQL shows bytea), or inside base64 at any byte alignment (a Basic header, a token packed
 * into a cookie or a JSON blob), standard or URL-safe.
 */

interface SecretForm {
  secret: string;
  form: string;
  text: string;
}

/** The part of base64(anything + secret + anything) that depends on the secret alone, per alignment. */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const firstGroup = Math.ceil(offset / 3);
    const endGroup = Math.floor((offset + bytes.length) / 3);
    cores.push(encoded.slice(firstGroup * 4, endGroup * 4));
  }
  return cores;
}

export function secretForms(secret: string): SecretForm[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: SecretForm[] = [
    { secret, form: 'clear', text: secret },
    { secret, form: 'percent-encoded', text: encodeURIComponent(secret) },
    { secret, form: 'hex', text: bytes.toString('hex') },
    { secret, form: 'HEX', text: bytes.toString('hex').toUpperCase() },
  ];
  for (const core of base64Cores(bytes)) {
    forms.push({ secret, form: 'base64', text: core });
    forms.push({ secret, form: 'base64url', text: core.replace(/\+/g, '-').replace(/\//g, '_') });
  }
  // Forms equal to the clear text (nothing to encode) would only repeat a finding.
  return forms.filter(
    (form, index) => forms.findIndex((other) => other.text === form.text) === index,
  );
}

/** "<form> of <secret> in <where>" for every form found; empty when the haystack is clean. */
export function findSecrets(haystack: string | Buffer, secrets: string[], where: string): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      const present =
        typeof haystack === 'string'
          ? haystack.includes(form.text)
          : haystack.includes(Buffer.from(form.text, 'latin1'));
      if (present) found.push(`${form.form} of ${secret.slice(0, 12)}… in ${where}`);
    }
  }
  return found;
}
