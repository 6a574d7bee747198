// The "new service" form for one container, turned into sdmd's JSON shorthand
// {"name","image","ports","environment","volumes","restart"} with per-field messages before sending.

export interface ServiceFormValues {
  name: string;
  image: string;
  ports: string; // one mapping a line: 8080:80, 127.0.0.1:8080:80/udp
  environment: string; // one KEY=value a line
  volumes: string; // one mount a line: data:/data, ./conf:/etc/app:ro
  restart: string;
  command: string;
}

export const EMPTY_FORM: ServiceFormValues = {
  name: "",
  image: "",
  ports: "",
  environment: "",
  volumes: "",
  restart: "unless-stopped",
  command: "",
};

export const RESTART_POLICIES = ["no", "always", "unless-stopped", "on-failure"] as const;

export type FieldErrors = Partial<Record<keyof ServiceFormValues, string>>;

const NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
const PORT_RE = /^(?:(\[[0-9a-fA-F:]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d{1,5})(?:-(\d{1,5}))?:)?(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

function validPort(n: string | undefined): boolean {
  if (n === undefined) return true;
  const v = Number(n);
  return Number.isInteger(v) && v >= 1 && v <= 65535;
}

export function checkPort(spec: string): string | null {
  const m = PORT_RE.exec(spec);
  if (!m) return `"${spec}" is not HOST:CONTAINER (e.g. 8080:80 or 127.0.0.1:8080:80/udp)`;
  if (![m[2], m[3], m[4], m[5]].every(validPort)) return `"${spec}": ports go from 1 to 65535`;
  return null;
}

export function parseEnvironment(text: string): { env: Record<string, string>; error: string | null } {
  const env: Record<string, string> = {};
  for (const line of lines(text)) {
    const eq = line.indexOf("=");
    const key = (eq === -1 ? line : line.slice(0, eq)).trim();
    if (!ENV_KEY_RE.test(key)) return { env, error: `"${key}" is not a variable name` };
    if (key in env) return { env, error: `${key} is set twice` };
    env[key] = eq === -1 ? "" : line.slice(eq + 1);
  }
  return { env, error: null };
}

/** Splits a command line like a shell would for simple cases: spaces, and "double" or 'single' quotes. */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3] ?? "");
  return out;
}

export function validateForm(values: ServiceFormValues): FieldErrors {
  const errors: FieldErrors = {};
  const name = values.name.trim();
  if (!name) errors.name = "a name is required";
  else if (!NAME_RE.test(name) || name.length > 63) {
    errors.name = "lowercase letters, digits, - and _, starting with a letter or digit (at most 63)";
  }
  const image = values.image.trim();
  if (!image) errors.image = "an image is required, e.g. nginx:1.27";
  else if (/\s/.test(image)) errors.image = "an image reference has no spaces";
  for (const spec of lines(values.ports)) {
    const problem = checkPort(spec);
    if (problem) {
      errors.ports = problem;
      break;
    }
  }
  const { error } = parseEnvironment(values.environment);
  if (error) errors.environment = error;
  for (const mount of lines(values.volumes)) {
    if (!mount.includes(":")) {
      errors.volumes = `"${mount}" is not SOURCE:TARGET (e.g. data:/data)`;
      break;
    }
  }
  if (values.restart && !RESTART_POLICIES.some((p) => values.restart === p || values.restart.startsWith("on-failure:"))) {
    errors.restart = "no, always, unless-stopped or on-failure";
  }
  return errors;
}

export function formToBody(values: ServiceFormValues): Record<string, unknown> {
  const body: Record<string, unknown> = { name: values.name.trim(), image: values.image.trim() };
  const ports = lines(values.ports);
  if (ports.length) body.ports = ports;
  const { env } = parseEnvironment(values.environment);
  if (Object.keys(env).length) body.environment = env;
  const volumes = lines(values.volumes);
  if (volumes.length) body.volumes = volumes;
  if (values.restart) body.restart = values.restart;
  const command = splitCommand(values.command.trim());
  if (command.length) body.command = command;
  return body;
}

/** The compose file a form would produce, to start YAML mode from what was typed. */
export function formToYaml(values: ServiceFormValues): string {
  const name = values.name.trim() || "my-service";
  const service = name.replace(/[^a-z0-9_-]/g, "") || "app";
  const out = [`name: ${name}`, "services:", `  ${service}:`, `    image: ${values.image.trim() || "nginx:1.27"}`];
  const command = splitCommand(values.command.trim());
  if (command.length) out.push(`    command: ${JSON.stringify(command)}`);
  const ports = lines(values.ports);
  if (ports.length) out.push("    ports:", ...ports.map((p) => `      - "${p}"`));
  const { env } = parseEnvironment(values.environment);
  const keys = Object.keys(env);
  if (keys.length) out.push("    environment:", ...keys.map((k) => `      ${k}: ${JSON.stringify(env[k])}`));
  const volumes = lines(values.volumes);
  if (volumes.length) out.push("    volumes:", ...volumes.map((v) => `      - ${v}`));
  if (values.restart) out.push(`    restart: ${values.restart}`);
  return out.join("\n") + "\n";
}
