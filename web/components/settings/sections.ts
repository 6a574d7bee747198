// The settings area's sections, in the order of its sub-navigation. A new settings page (security,
// registries, notifications, hosts) adds one line here and its folder under app/settings/.
export interface SettingsSection {
  href: string;
  label: string;
  description: string;
}

export const SETTINGS_SECTIONS: SettingsSection[] = [
  { href: "/settings/users/", label: "Users", description: "Who can log in: add and remove users, reset passwords." },
  { href: "/settings/notifications/", label: "Notifications", description: "Channels (ntfy, Slack, e-mail, webhooks…), the events each gets, tests and the last deliveries." },
  { href: "/settings/registries/", label: "Registries", description: "Credentials for private registries: pulls, digest checks and tag lists use them." },
  { href: "/settings/security/", label: "Security", description: "Two-factor login, requiring it for everyone, and API tokens." },
  { href: "/settings/about/", label: "About", description: "sdmd's version, the Docker engine, the API docs and the RQ dashboard." },
];
