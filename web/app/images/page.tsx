import { PullImage } from "@/components/pull-image";

export const metadata = { title: "Images" };

export default function ImagesPage() {
  return <PullImage />;
}
