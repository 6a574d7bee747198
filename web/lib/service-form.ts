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

/** Every problem of each field, in the order the lines come. */
export type FieldErrors = Partial<Record<keyof ServiceFormValues, string[]>>;

/** The form's fields top to bottom, to move focus to the first one with an error. */
export const FIELD_ORDER: (keyof ServiceFormValues)[] = ["name", "image", "ports", "volumes", "environment", "command", "restart"];

export function firstErrorField(errors: FieldErrors): keyof ServiceFormValues | null {
  return FIELD_ORDER.find((key) => errors[key]?.length) ?? null;
}

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

/**
 * KEY=value lines. A line without "=" is an error, not an empty variable (write KEY= for an empty value);
 * every problem is reported, with its line number when there are several lines.
 */
export function parseEnvironment(text: string): { env: Record<string, string>; errors: string[] } {
  const env: Record<string, string> = {};
  const errors: string[] = [];
  const rows = text.split(/\r?\n/);
  const where = (i: number) => (rows.filter((r) => r.trim()).length > 1 ? `line ${i + 1}: ` : "");
  rows.forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (!line || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq === -1) {
      errors.push(`${where(i)}"${line}" has no "=": write ${line}=value (or ${line}= for an empty value)`);
      return;
    }
    const key = line.slice(0, eq).trim();
    if (!ENV_KEY_RE.test(key)) {
      errors.push(`${where(i)}"${key}" is not a variable name (letters, digits and _, not starting with a digit)`);
      return;
    }
    if (key in env) {
      errors.push(`${where(i)}${key} is set twice`);
      return;
    }
    env[key] = line.slice(eq + 1);
  });
  return { env, errors };
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
  const add = (key: keyof ServiceFormValues, message: string) => {
    (errors[key] ??= []).push(message);
  };
  const name = values.name.trim();
  if (!name) add("name", "a name is required");
  else {
    if (!NAME_RE.test(name)) add("name", "lowercase letters, digits, - and _, starting with a letter or digit");
    if (name.length > 63) add("name", "at most 63 characters");
  }
  const image = values.image.trim();
  if (!image) add("image", "an image is required, e.g. nginx:1.27");
  else if (/\s/.test(image)) add("image", "an image reference has no spaces");
  for (const spec of lines(values.ports)) {
    const problem = checkPort(spec);
    if (problem) add("ports", problem);
  }
  for (const problem of parseEnvironment(values.environment).errors) add("environment", problem);
  for (const mount of lines(values.volumes)) {
    if (!mount.includes(":")) add("volumes", `"${mount}" is not SOURCE:TARGET (e.g. data:/data)`);
  }
  if (values.restart && !RESTART_POLICIES.some((p) => values.restart === p || values.restart.startsWith("on-failure:"))) {
    add("restart", "no, always, unless-stopped or on-failure");
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
