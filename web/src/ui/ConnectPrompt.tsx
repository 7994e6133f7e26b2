export function ConnectPrompt({ what }: { what: string }) {
  return (
    <section className="card">
      <p>Connect a wallet or pick a local development account above to {what}.</p>
    </section>
  );
}
