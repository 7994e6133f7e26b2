import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { loadConfig } from "./config.js";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);

loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    ),
  (error: unknown) =>
    root.render(
      <main className="app">
        <h1>GridLedger</h1>
        <p role="alert">Cannot load the configuration: {(error as Error).message}</p>
      </main>,
    ),
);
