import { describe, expect, it } from 'vitest';
import { addressRefusal, classifyAddress, parseIPv4, parseIPv6 } from './ip-policy';

describe('parseIPv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['127.0.0.1', 0x7f000001],
    ['255.255.255.255', 0xffffffff],
    ['10.20.30.40', 0x0a141e28],
  ])('reads %s', (text, value) => {
    expect(parseIPv4(text)).toBe(value);
  });

  it.each(['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '0x7f.0.0.1', '2130706433', ' 1.2.3.4', '1.2.3.4 ', '', 'a.b.c.d', '::1'])(
    'is not fooled by %j',
    (text) => {
      expect(parseIPv4(text)).toBeNull();
    },
  );
});

describe('parseIPv6', () => {
  const hex = (text: string) => parseIPv6(text)?.toString(16);

  it.each([
    ['::', '0'],
    ['::1', '1'],
    ['[::1]', '1'],
    ['0:0:0:0:0:0:0:1', '1'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['::ffff:127.0.0.1', 'ffff7f000001'],
    ['::ffff:7f00:1', 'ffff7f000001'],
    ['64:ff9b::10.0.0.1', '64ff9b00000000000000000a000001'],
    ['2001:DB8::8:800:200C:417A', '20010db8000000000008080020 0c417a'.replace(' ', '')],
    ['1:2:3:4:5:6:7:8', '10002000300040005000600070008'],
    ['1::', '10000000000000000000000000000'],
    ['1:2:3:4:5:6:1.2.3.4', '10002000300040005000601020304'],
  ])('reads %s', (text, value) => {
    expect(hex(text)).toBe(value);
  });

  it.each([
    '',
    ':',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '::1::',
    '12345::',
    'g::1',
    '::1.2.3',
    '::256.1.1.1',
    '1.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4',
    ':1::',
    'example.com',
  ])('refuses %j', (text) => {
    expect(parseIPv6(text)).toBeNull();
  });
});

describe('classifyAddress', () => {
  it.each([
    // IPv4
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['93.184.216.34', 'public'],
    ['0.0.0.0', 'reserved'],
    ['0.255.255.255', 'reserved'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.0', 'public'],
    ['127.0.0.1', 'private'],
    ['127.255.255.254', 'private'],
    ['169.254.0.1', 'private'],
    ['169.254.169.254', 'reserved'],
    ['169.254.170.2', 'reserved'],
    ['100.100.100.200', 'reserved'],
    ['168.63.129.16', 'reserved'],
    ['172.15.255.255', 'public'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['192.167.255.255', 'public'],
    ['192.168.1.1', 'private'],
    ['192.169.0.0', 'public'],
    ['198.18.0.1', 'private'],
    ['198.19.255.255', 'private'],
    ['198.20.0.0', 'public'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['223.255.255.255', 'public'],
    ['224.0.0.1', 'reserved'],
    ['239.255.255.250', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    // IPv6
    ['::', 'reserved'],
    ['::1', 'private'],
    ['::7f00:1', 'reserved'],
    ['::127.0.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'private'],
    ['::ffff:7f00:1', 'private'],
    ['::ffff:169.254.169.254', 'reserved'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:0:7f00:1', 'reserved'],
    ['64:ff9b::7f00:1', 'private'],
    ['64:ff9b::169.254.169.254', 'reserved'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b:1::a00:1', 'private'],
    ['100::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2002:7f00:1::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['2001:4860:4860::8888', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:800::200e', 'public'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fd00:ec2::254', 'reserved'],
    ['fe80::1', 'private'],
    ['fe80::1%eth0', 'private'],
    ['febf::1', 'private'],
    ['fec0::1', 'private'],
    ['ff02::1', 'reserved'],
    ['5f00::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['[::1]', 'private'],
  ])('%s is %s', (address, scope) => {
    expect(classifyAddress(address)?.scope).toBe(scope);
  });

  it('is null for what is not an address', () => {
    expect(classifyAddress('localhost')).toBeNull();
    expect(classifyAddress('2130706433')).toBeNull();
  });

  it('says what an address carried in IPv6 is', () => {
    expect(classifyAddress('::ffff:127.0.0.1')?.label).toBe('loopback, IPv4-mapped');
    expect(classifyAddress('64:ff9b::a9fe:a9fe')?.label).toBe('cloud metadata service, via NAT64');
  });
});

describe('addressRefusal', () => {
  it('lets public addresses through, private ones only when allowed, reserved ones never', () => {
    expect(addressRefusal('8.8.8.8', false)).toBeNull();
    expect(addressRefusal('10.1.2.3', true)).toBeNull();
    expect(addressRefusal('::1', true)).toBeNull();
    expect(addressRefusal('10.1.2.3', false)).toBe(
      '10.1.2.3 is a private address (private network (10.0.0.0/8)); set recordings.allow_private_hosts to fetch from the local network',
    );
    expect(addressRefusal('169.254.169.254', true)).toBe('169.254.169.254 is a reserved address (cloud metadata service) and is never fetched from');
    expect(addressRefusal('0.0.0.0', true)).toMatch(/reserved/);
    expect(addressRefusal('ff02::1', true)).toMatch(/reserved address \(multicast\)/);
    expect(addressRefusal('pbx.example.com', true)).toBe('pbx.example.com is not an IP address');
  });
});
