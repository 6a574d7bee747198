import { RegistriesPage } from "@/components/settings/registries-page";

export const metadata = { title: "Registries · Settings" };

export default function Page() {
  return <RegistriesPage />;
}
