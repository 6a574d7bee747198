import { UsersPage } from "@/components/settings/users-page";

export const metadata = { title: "Users · Settings" };

export default function Page() {
  return <UsersPage />;
}
