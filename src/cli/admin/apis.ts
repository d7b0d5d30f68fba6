// The APIs the admin CLI speaks, built from the generated codec modules one by one: the
// CLI starts noticeably faster than when it loads protocol/messages/index.ts with every
// Kafka message. All of them are stable at their highest version in the schemas.

import { ApiVersionsRequestVersions, defaultApiVersionsRequest, encodeApiVersionsRequest, type ApiVersionsRequest } from '../../../protocol/messages/api-versions-request.ts'
import { decodeApiVersionsResponse, type ApiVersionsResponse } from '../../../protocol/messages/api-versions-response.ts'
import { MetadataRequestVersions, defaultMetadataRequest, encodeMetadataRequest, type MetadataRequest } from '../../../protocol/messages/metadata-request.ts'
import { decodeMetadataResponse, type MetadataResponse } from '../../../protocol/messages/metadata-response.ts'
import { CreateTopicsRequestVersions, defaultCreateTopicsRequest, encodeCreateTopicsRequest, type CreateTopicsRequest } from '../../../protocol/messages/create-topics-request.ts'
import { decodeCreateTopicsResponse, type CreateTopicsResponse } from '../../../protocol/messages/create-topics-response.ts'
import { DeleteTopicsRequestVersions, defaultDeleteTopicsRequest, encodeDeleteTopicsRequest, type DeleteTopicsRequest } from '../../../protocol/messages/delete-topics-request.ts'
import { decodeDeleteTopicsResponse, type DeleteTopicsResponse } from '../../../protocol/messages/delete-topics-response.ts'
import { CreatePartitionsRequestVersions, defaultCreatePartitionsRequest, encodeCreatePartitionsRequest, type CreatePartitionsRequest } from '../../../protocol/messages/create-partitions-request.ts'
import { decodeCreatePartitionsResponse, type CreatePartitionsResponse } from '../../../protocol/messages/create-partitions-response.ts'
import { DescribeConfigsRequestVersions, defaultDescribeConfigsRequest, encodeDescribeConfigsRequest, type DescribeConfigsRequest } from '../../../protocol/messages/describe-configs-request.ts'
import { decodeDescribeConfigsResponse, type DescribeConfigsResponse } from '../../../protocol/messages/describe-configs-response.ts'
import { IncrementalAlterConfigsRequestVersions, defaultIncrementalAlterConfigsRequest, encodeIncrementalAlterConfigsRequest, type IncrementalAlterConfigsRequest } from '../../../protocol/messages/incremental-alter-configs-request.ts'
import { decodeIncrementalAlterConfigsResponse, type IncrementalAlterConfigsResponse } from '../../../protocol/messages/incremental-alter-configs-response.ts'
import { ListGroupsRequestVersions, defaultListGroupsRequest, encodeListGroupsRequest, type ListGroupsRequest } from '../../../protocol/messages/list-groups-request.ts'
import { decodeListGroupsResponse, type ListGroupsResponse } from '../../../protocol/messages/list-groups-response.ts'
import { DescribeGroupsRequestVersions, defaultDescribeGroupsRequest, encodeDescribeGroupsRequest, type DescribeGroupsRequest } from '../../../protocol/messages/describe-groups-request.ts'
import { decodeDescribeGroupsResponse, type DescribeGroupsResponse } from '../../../protocol/messages/describe-groups-response.ts'
import { OffsetFetchRequestVersions, defaultOffsetFetchRequest, encodeOffsetFetchRequest, type OffsetFetchRequest } from '../../../protocol/messages/offset-fetch-request.ts'
import { decodeOffsetFetchResponse, type OffsetFetchResponse } from '../../../protocol/messages/offset-fetch-response.ts'
import { OffsetCommitRequestVersions, defaultOffsetCommitRequest, encodeOffsetCommitRequest, type OffsetCommitRequest } from '../../../protocol/messages/offset-commit-request.ts'
import { decodeOffsetCommitResponse, type OffsetCommitResponse } from '../../../protocol/messages/offset-commit-response.ts'
import { ListOffsetsRequestVersions, defaultListOffsetsRequest, encodeListOffsetsRequest, type ListOffsetsRequest } from '../../../protocol/messages/list-offsets-request.ts'
import { decodeListOffsetsResponse, type ListOffsetsResponse } from '../../../protocol/messages/list-offsets-response.ts'
import { FindCoordinatorRequestVersions, defaultFindCoordinatorRequest, encodeFindCoordinatorRequest, type FindCoordinatorRequest } from '../../../protocol/messages/find-coordinator-request.ts'
import { decodeFindCoordinatorResponse, type FindCoordinatorResponse } from '../../../protocol/messages/find-coordinator-response.ts'
import { DeleteGroupsRequestVersions, defaultDeleteGroupsRequest, encodeDeleteGroupsRequest, type DeleteGroupsRequest } from '../../../protocol/messages/delete-groups-request.ts'
import { decodeDeleteGroupsResponse, type DeleteGroupsResponse } from '../../../protocol/messages/delete-groups-response.ts'
import { SaslHandshakeRequestVersions, defaultSaslHandshakeRequest, encodeSaslHandshakeRequest, type SaslHandshakeRequest } from '../../../protocol/messages/sasl-handshake-request.ts'
import { decodeSaslHandshakeResponse, type SaslHandshakeResponse } from '../../../protocol/messages/sasl-handshake-response.ts'
import { SaslAuthenticateRequestVersions, defaultSaslAuthenticateRequest, encodeSaslAuthenticateRequest, type SaslAuthenticateRequest } from '../../../protocol/messages/sasl-authenticate-request.ts'
import { decodeSaslAuthenticateResponse, type SaslAuthenticateResponse } from '../../../protocol/messages/sasl-authenticate-response.ts'
import { DescribeUserScramCredentialsRequestVersions, defaultDescribeUserScramCredentialsRequest, encodeDescribeUserScramCredentialsRequest, type DescribeUserScramCredentialsRequest } from '../../../protocol/messages/describe-user-scram-credentials-request.ts'
import { decodeDescribeUserScramCredentialsResponse, type DescribeUserScramCredentialsResponse } from '../../../protocol/messages/describe-user-scram-credentials-response.ts'
import { AlterUserScramCredentialsRequestVersions, defaultAlterUserScramCredentialsRequest, encodeAlterUserScramCredentialsRequest, type AlterUserScramCredentialsRequest } from '../../../protocol/messages/alter-user-scram-credentials-request.ts'
import { decodeAlterUserScramCredentialsResponse, type AlterUserScramCredentialsResponse } from '../../../protocol/messages/alter-user-scram-credentials-response.ts'
import type { Reader } from '../../../protocol/wire/reader.ts'
import type { Writer } from '../../../protocol/wire/writer.ts'

/** The client half of a generated ApiMessage. */
export interface ClientApi<Req, Res> {
  apiKey: number
  name: string
  minVersion: number
  maxVersion: number
  encodeRequest(w: Writer, version: number, m: Req): void
  decodeResponse(r: Reader, version: number): Res
  defaultRequest(): Req
}

export const ApiVersionsApi: ClientApi<ApiVersionsRequest, ApiVersionsResponse> = {
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: ApiVersionsRequestVersions.min,
  maxVersion: ApiVersionsRequestVersions.max,
  encodeRequest: encodeApiVersionsRequest,
  decodeResponse: decodeApiVersionsResponse,
  defaultRequest: defaultApiVersionsRequest,
}

export const MetadataApi: ClientApi<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  name: 'Metadata',
  minVersion: MetadataRequestVersions.min,
  maxVersion: MetadataRequestVersions.max,
  encodeRequest: encodeMetadataRequest,
  decodeResponse: decodeMetadataResponse,
  defaultRequest: defaultMetadataRequest,
}

export const CreateTopicsApi: ClientApi<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: CreateTopicsRequestVersions.min,
  maxVersion: CreateTopicsRequestVersions.max,
  encodeRequest: encodeCreateTopicsRequest,
  decodeResponse: decodeCreateTopicsResponse,
  defaultRequest: defaultCreateTopicsRequest,
}

export const DeleteTopicsApi: ClientApi<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: DeleteTopicsRequestVersions.min,
  maxVersion: DeleteTopicsRequestVersions.max,
  encodeRequest: encodeDeleteTopicsRequest,
  decodeResponse: decodeDeleteTopicsResponse,
  defaultRequest: defaultDeleteTopicsRequest,
}

export const CreatePartitionsApi: ClientApi<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: CreatePartitionsRequestVersions.min,
  maxVersion: CreatePartitionsRequestVersions.max,
  encodeRequest: encodeCreatePartitionsRequest,
  decodeResponse: decodeCreatePartitionsResponse,
  defaultRequest: defaultCreatePartitionsRequest,
}

export const DescribeConfigsApi: ClientApi<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: DescribeConfigsRequestVersions.min,
  maxVersion: DescribeConfigsRequestVersions.max,
  encodeRequest: encodeDescribeConfigsRequest,
  decodeResponse: decodeDescribeConfigsResponse,
  defaultRequest: defaultDescribeConfigsRequest,
}

export const IncrementalAlterConfigsApi: ClientApi<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = {
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: IncrementalAlterConfigsRequestVersions.min,
  maxVersion: IncrementalAlterConfigsRequestVersions.max,
  encodeRequest: encodeIncrementalAlterConfigsRequest,
  decodeResponse: decodeIncrementalAlterConfigsResponse,
  defaultRequest: defaultIncrementalAlterConfigsRequest,
}

export const ListGroupsApi: ClientApi<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: 16,
  name: 'ListGroups',
  minVersion: ListGroupsRequestVersions.min,
  maxVersion: ListGroupsRequestVersions.max,
  encodeRequest: encodeListGroupsRequest,
  decodeResponse: decodeListGroupsResponse,
  defaultRequest: defaultListGroupsRequest,
}

export const DescribeGroupsApi: ClientApi<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: DescribeGroupsRequestVersions.min,
  maxVersion: DescribeGroupsRequestVersions.max,
  encodeRequest: encodeDescribeGroupsRequest,
  decodeResponse: decodeDescribeGroupsResponse,
  defaultRequest: defaultDescribeGroupsRequest,
}

export const OffsetFetchApi: ClientApi<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: OffsetFetchRequestVersions.min,
  maxVersion: OffsetFetchRequestVersions.max,
  encodeRequest: encodeOffsetFetchRequest,
  decodeResponse: decodeOffsetFetchResponse,
  defaultRequest: defaultOffsetFetchRequest,
}

export const OffsetCommitApi: ClientApi<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: OffsetCommitRequestVersions.min,
  maxVersion: OffsetCommitRequestVersions.max,
  encodeRequest: encodeOffsetCommitRequest,
  decodeResponse: decodeOffsetCommitResponse,
  defaultRequest: defaultOffsetCommitRequest,
}

export const ListOffsetsApi: ClientApi<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: ListOffsetsRequestVersions.min,
  maxVersion: ListOffsetsRequestVersions.max,
  encodeRequest: encodeListOffsetsRequest,
  decodeResponse: decodeListOffsetsResponse,
  defaultRequest: defaultListOffsetsRequest,
}

export const FindCoordinatorApi: ClientApi<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: FindCoordinatorRequestVersions.min,
  maxVersion: FindCoordinatorRequestVersions.max,
  encodeRequest: encodeFindCoordinatorRequest,
  decodeResponse: decodeFindCoordinatorResponse,
  defaultRequest: defaultFindCoordinatorRequest,
}

export const DeleteGroupsApi: ClientApi<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: DeleteGroupsRequestVersions.min,
  maxVersion: DeleteGroupsRequestVersions.max,
  encodeRequest: encodeDeleteGroupsRequest,
  decodeResponse: decodeDeleteGroupsResponse,
  defaultRequest: defaultDeleteGroupsRequest,
}

export const SaslHandshakeApi: ClientApi<SaslHandshakeRequest, SaslHandshakeResponse> = {
  apiKey: 17,
  name: 'SaslHandshake',
  minVersion: SaslHandshakeRequestVersions.min,
  maxVersion: SaslHandshakeRequestVersions.max,
  encodeRequest: encodeSaslHandshakeRequest,
  decodeResponse: decodeSaslHandshakeResponse,
  defaultRequest: defaultSaslHandshakeRequest,
}

export const SaslAuthenticateApi: ClientApi<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  minVersion: SaslAuthenticateRequestVersions.min,
  maxVersion: SaslAuthenticateRequestVersions.max,
  encodeRequest: encodeSaslAuthenticateRequest,
  decodeResponse: decodeSaslAuthenticateResponse,
  defaultRequest: defaultSaslAuthenticateRequest,
}

export const DescribeUserScramCredentialsApi: ClientApi<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> = {
  apiKey: 50,
  name: 'DescribeUserScramCredentials',
  minVersion: DescribeUserScramCredentialsRequestVersions.min,
  maxVersion: DescribeUserScramCredentialsRequestVersions.max,
  encodeRequest: encodeDescribeUserScramCredentialsRequest,
  decodeResponse: decodeDescribeUserScramCredentialsResponse,
  defaultRequest: defaultDescribeUserScramCredentialsRequest,
}

export const AlterUserScramCredentialsApi: ClientApi<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> = {
  apiKey: 51,
  name: 'AlterUserScramCredentials',
  minVersion: AlterUserScramCredentialsRequestVersions.min,
  maxVersion: AlterUserScramCredentialsRequestVersions.max,
  encodeRequest: encodeAlterUserScramCredentialsRequest,
  decodeResponse: decodeAlterUserScramCredentialsResponse,
  defaultRequest: defaultAlterUserScramCredentialsRequest,
}
