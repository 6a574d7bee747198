import { SettingsIndex } from "@/components/settings/settings-index";

export const metadata = { title: "Settings" };

export default function Page() {
  return <SettingsIndex />;
}
