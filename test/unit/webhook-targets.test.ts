import { describe, expect, it } from 'vitest';
import { checkTarget, isPublicAddress, targetPolicy, urlProblem, type Resolver } from '../../src/modules/webhooks/targets.ts';

const production = { allowPrivate: false };
const development = { allowPrivate: true };
const resolvingTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('webhook URL rules', () => {
  it('takes https URLs without credentials', () => {
    expect(urlProblem('https://hooks.hospital.example/recalls?x=1', production)).toBeNull();
    expect(urlProblem('http://hooks.hospital.example/', production)).toBe('must be an https URL');
    expect(urlProblem('ftp://hooks.hospital.example/', production)).toBe('must be an https URL');
    expect(urlProblem('https://user:pw@hooks.hospital.example/', production)).toBe('must not contain credentials');
    expect(urlProblem('https://user@hooks.hospital.example/', production)).toBe('must not contain credentials');
    expect(urlProblem('hooks.hospital.example/recalls', production)).toBe('must be an absolute URL');
    expect(urlProblem(`https://hooks.hospital.example/${'a'.repeat(2_048)}`, production)).toBe('must be at most 2048 characters');
  });

  it('allows plain http in development only', () => {
    expect(urlProblem('http://127.0.0.1:8080/hooks', development)).toBeNull();
    expect(targetPolicy({ nodeEnv: 'development' })).toEqual({ allowPrivate: true });
    expect(targetPolicy({ nodeEnv: 'production' })).toEqual({ allowPrivate: false });
    expect(targetPolicy({ nodeEnv: 'test' })).toEqual({ allowPrivate: false });
  });
});

describe('webhook target addresses', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.254',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '192.0.2.10',
    '198.18.0.1',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '::127.0.0.1',
    '64:ff9b::a00:1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'febf::1',
    'ff02::1',
    '2001:db8::1',
    '2002:7f00:1::1',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'accepts %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it('connects to an address literal without resolving it', async () => {
    const resolve: Resolver = async () => {
      throw new Error('must not resolve');
    };
    expect(await checkTarget(new URL('https://93.184.215.14/hooks'), { ...production, resolve })).toEqual({
      ok: true,
      address: { address: '93.184.215.14', family: 4 },
    });
    expect(await checkTarget(new URL('https://[2606:4700:4700::1111]/'), { ...production, resolve })).toMatchObject({ ok: true });
    expect(await checkTarget(new URL('https://[::1]/'), { ...production, resolve })).toMatchObject({ ok: false });
    // The URL parser turns other spellings of an IPv4 address into the dotted one.
    expect(await checkTarget(new URL('https://2130706433/'), { ...production, resolve })).toMatchObject({ ok: false });
    expect(await checkTarget(new URL('https://0x7f.1/'), { ...production, resolve })).toMatchObject({ ok: false });
  });

  it('refuses a host any of whose addresses is not public', async () => {
    expect(await checkTarget(new URL('https://hooks.example/'), { ...production, resolve: resolvingTo('93.184.215.14') })).toEqual({
      ok: true,
      address: { address: '93.184.215.14', family: 4 },
    });
    const mixed = await checkTarget(new URL('https://hooks.example/'), {
      ...production,
      resolve: resolvingTo('93.184.215.14', '10.0.0.7'),
    });
    expect(mixed).toEqual({ ok: false, problem: 'host hooks.example resolves to 10.0.0.7, which is not a public address' });
    expect(
      await checkTarget(new URL('https://hooks.example/'), { ...production, resolve: resolvingTo('::ffff:192.168.0.1') }),
    ).toMatchObject({
      ok: false,
    });
    expect(await checkTarget(new URL('https://hooks.example/'), { ...production, resolve: resolvingTo() })).toEqual({
      ok: false,
      problem: 'host hooks.example does not resolve',
    });
    const failing: Resolver = async () => {
      throw Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await checkTarget(new URL('https://nowhere.example/'), { ...production, resolve: failing })).toMatchObject({ ok: false });
  });

  it('resolves localhost without the network, and refuses it outside development', async () => {
    expect(await checkTarget(new URL('https://localhost/'), production)).toMatchObject({ ok: false });
    expect(await checkTarget(new URL('http://localhost/'), development)).toMatchObject({ ok: true });
    expect(await checkTarget(new URL('http://10.0.0.7/'), development)).toMatchObject({ ok: true });
  });
});
