import { ServicesPage } from "@/components/services/services-page";
import { earlyFetchScript } from "@/lib/early-fetch";

// The root page sits in the layout's own segment, where the "%s · sdmd" template does not apply.
export const metadata = { title: { absolute: "Services · sdmd" } };

export default function Home() {
  return (
    <>
      <script dangerouslySetInnerHTML={{ __html: earlyFetchScript("/api/services") }} />
      <ServicesPage />
    </>
  );
}
