import { loadPlatformConfig } from "./components/config/load";
import { buildPlatform } from "./components/platform";

const outputs = buildPlatform(loadPlatformConfig());

export const kind = outputs.kind;
export const ciHosts = outputs.ciHosts;
export const services = outputs.services;
export const vpcId = outputs.vpcId;
