// npm run nginx:config [-- --docker [--check]]
// Renders nginx/nginx.conf.template. Default: the local profile into .run/nginx/nginx.conf (what
// `npm start` runs), then `nginx -t` on it when nginx is installed. --docker: the docker-compose
// profile into nginx/docker.conf (committed); with --check, fails when that file differs from the
// template's rendering instead of writing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { cliArgs } from './lib/args.ts';
import { dockerConfigPath, dockerProfile, findNginx, renderNginxConfig, testConfig, writeLocalConfig } from './lib/nginx.ts';

const args = cliArgs({ docker: { type: 'boolean' }, check: { type: 'boolean' } }, 'npm run nginx:config [-- --docker [--check]]');

if (args.docker) {
  const rendered = renderNginxConfig(dockerProfile());
  if (args.check) {
    if (readFileSync(dockerConfigPath, 'utf8') !== rendered) {
      console.error('nginx/docker.conf is not the rendering of nginx/nginx.conf.template: run `npm run nginx:config -- --docker`');
      process.exit(1);
    }
    console.log('nginx/docker.conf matches the template');
  } else {
    writeFileSync(dockerConfigPath, rendered);
    console.log(`wrote ${dockerConfigPath}`);
  }
} else {
  const local = writeLocalConfig();
  console.log(`wrote ${local.conf}`);
  const nginx = findNginx();
  if (!nginx) {
    console.log('nginx is not installed: not tested (Debian: apt-get install nginx libnginx-mod-http-brotli-filter)');
  } else {
    const result = testConfig(nginx, local.conf, local.prefix);
    if (!result.ok) {
      console.error(`nginx -t failed:\n${result.output}`);
      process.exit(1);
    }
    console.log('nginx -t: syntax ok, test successful');
  }
}
