import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compiledPaths, findPidFile, pidDirective, type RunNginx } from './nginx-pid.js';

const VERSION =
  'nginx version: nginx/1.22.1\nconfigure arguments: --with-cc-opt=-ffile-prefix-map=/build=. --prefix=/usr/share/nginx --pid-path=/run/nginx.pid';
const dump = (main: string): string =>
  `# configuration file /etc/nginx/nginx.conf:\n${main}\n# configuration file /etc/nginx/conf.d/x.conf:\npid /wrong.pid;\n`;

describe('the nginx pid file, as nginx finds it', () => {
  it("reads the main context's pid directive, not one in a block or a comment or an included file", () => {
    assert.equal(pidDirective(dump('# pid /commented.pid;\nevents {}\npid logs/n.pid;\nhttp {}')), 'logs/n.pid');
    assert.equal(pidDirective(dump('http {\n  pid /in-block.pid;\n}')), undefined);
    assert.equal(pidDirective(dump('pid "/quoted path.pid";')), '/quoted path.pid');
  });

  it('takes --pid-path and --prefix from nginx -V', () => {
    assert.deepEqual(compiledPaths(VERSION), { pidPath: '/run/nginx.pid', prefix: '/usr/share/nginx' });
    assert.deepEqual(compiledPaths('nginx version: nginx/1.25'), {});
  });

  it('joins a relative path to -p, else to the compiled-in prefix; falls back to --pid-path', async () => {
    const runner =
      (main: string): RunNginx =>
      (args) =>
        Promise.resolve({ code: 0, output: args[0] === '-V' ? VERSION : dump(main) });
    assert.equal(await findPidFile(runner('pid logs/n.pid;'), [], '/srv/ngx'), '/srv/ngx/logs/n.pid');
    assert.equal(await findPidFile(runner('pid logs/n.pid;'), []), '/usr/share/nginx/logs/n.pid');
    assert.equal(await findPidFile(runner('events {}'), []), '/run/nginx.pid');
  });

  it("says so with nginx's words when nginx -T fails", async () => {
    const failing: RunNginx = () => Promise.resolve({ code: 1, output: 'nginx: [emerg] unknown directive "x"' });
    await assert.rejects(findPidFile(failing, ['-c', '/etc/x.conf']), /nginx -T failed.*unknown directive/);
  });
});
