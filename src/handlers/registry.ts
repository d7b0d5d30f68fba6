// The APIs this broker implements. ApiVersions is built from this list, so adding a
// handler here is what makes an API advertised.

import type { ApiHandler } from './api-handler.ts'
import produce from './00-produce.ts'
import fetch from './01-fetch.ts'
import listOffsets from './02-list-offsets.ts'
import metadata from './03-metadata.ts'
import findCoordinator from './10-find-coordinator.ts'
import apiVersions from './18-api-versions.ts'
import createTopics from './19-create-topics.ts'
import deleteTopics from './20-delete-topics.ts'

export const handlers: ApiHandler[] = [produce, fetch, listOffsets, metadata, findCoordinator, apiVersions, createTopics, deleteTopics]
