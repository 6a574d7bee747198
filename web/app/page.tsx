import { ServicesPage } from "@/components/services/services-page";
import { earlyFetchScript } from "@/lib/early-fetch";

export default function Home() {
  return (
    <>
      <script dangerouslySetInnerHTML={{ __html: earlyFetchScript("/api/services") }} />
      <ServicesPage />
    </>
  );
}
