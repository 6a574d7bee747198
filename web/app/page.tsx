import { ServicesPage } from "@/components/services/services-page";

export default function Home() {
  return <ServicesPage />;
}
