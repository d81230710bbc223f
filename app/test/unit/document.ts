// A DOM for the tests that render: linkedom's document, installed where the view's code looks for it.
import { parseHTML } from "linkedom";

const { document } = parseHTML("<!doctype html><html><head></head><body></body></html>");
Object.assign(globalThis, { document });
