import { NewService } from "@/components/new-service/new-service";

export const metadata = { title: "New service" };

export default function NewServicePage() {
  return <NewService />;
}
