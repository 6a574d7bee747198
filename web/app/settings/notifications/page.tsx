import { NotificationsPage } from "@/components/settings/notifications-page";

export const metadata = { title: "Notifications · Settings" };

export default function Page() {
  return <NotificationsPage />;
}
