import { GitopsPage } from "@/components/gitops/gitops-page";

export const metadata = { title: "GitOps" };

export default function Page() {
  return <GitopsPage />;
}
