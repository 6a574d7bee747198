import { AboutPage } from "@/components/settings/about-page";

export const metadata = { title: "About · Settings" };

export default function Page() {
  return <AboutPage />;
}
