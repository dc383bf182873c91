// connect() without a URL: no defaults in Node; in the browser build (platform-defaults.browser.ts)
// ws/wss after the page's scheme, and the page's host and port, as MQTT.js's browser build does.
import { platformDefaults as nodeDefaults } from '../../lib/platform/platform-defaults.js';
import { platformDefaults as browserDefaults } from '../../lib/platform/platform-defaults.browser.js';

describe('platform defaults', () => {
  const global = globalThis as { location?: { href: string } };
  afterEach(() => {
    delete global.location;
  });

  it('adds nothing in Node', () => {
    expect(nodeDefaults({ port: 1884 })).toEqual({ port: 1884 });
  });

  it('takes wss and the host and port of an https page', () => {
    global.location = { href: 'https://app.example:8443/dashboard' };
    expect(browserDefaults({ path: '/mqtt' })).toEqual({ path: '/mqtt', protocol: 'wss', host: 'app.example', port: 8443 });
  });

  it('takes ws on an http page, and keeps a host, port and protocol the options name', () => {
    global.location = { href: 'http://[::1]:8080/' };
    expect(browserDefaults({})).toEqual({ protocol: 'ws', host: '::1', port: 8080 });
    expect(browserDefaults({ host: 'broker.example', port: 9001 })).toEqual({ protocol: 'ws', host: 'broker.example', port: 9001 });
    expect(browserDefaults({ protocol: 'wss', port: 443 })).toEqual({ protocol: 'wss', host: '::1', port: 443 });
  });

  it('leaves the port to the scheme default when the page has none', () => {
    global.location = { href: 'https://app.example/' };
    expect(browserDefaults({})).toEqual({ protocol: 'wss', host: 'app.example' });
  });

  it('falls back to ws without a page (a worker without location, or a test)', () => {
    expect(browserDefaults({ host: 'broker.example' })).toEqual({ protocol: 'ws', host: 'broker.example' });
  });
});
