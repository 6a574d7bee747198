import { SchedulesPage } from "@/components/schedules/schedules-page";

export const metadata = { title: "Schedules" };

export default function Page() {
  return <SchedulesPage />;
}
