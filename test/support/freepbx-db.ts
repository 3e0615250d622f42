/**
 * A FreePBX CDR database of its own for a test file, in the local MariaDB: created before the
 * file's tests, dropped after, its `cdr` table (FreePBX 16's asteriskcdrdb.cdr) emptied before
 * each test. `insert` writes fixture CDRs as FreePBX would.
 */
import mysql, { type Connection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { freepbxRow, type FixtureCdr } from '../../src/pbx/asterisk/testing';

const MARIADB = 'mysql://root@127.0.0.1:3306';

/** FreePBX 16's asteriskcdrdb.cdr. */
const CDR_TABLE = `create table cdr (
  calldate datetime not null default '0000-00-00 00:00:00', clid varchar(80) not null default '',
  src varchar(80) not null default '', dst varchar(80) not null default '', dcontext varchar(80) not null default '',
  channel varchar(80) not null default '', dstchannel varchar(80) not null default '', lastapp varchar(80) not null default '',
  lastdata varchar(80) not null default '', duration int(11) not null default 0, billsec int(11) not null default 0,
  disposition varchar(45) not null default '', amaflags int(11) not null default 0, accountcode varchar(20) not null default '',
  uniqueid varchar(32) not null default '', userfield varchar(255) not null default '', did varchar(50) not null default '',
  recordingfile varchar(255) not null default '', cnum varchar(80) not null default '', cnam varchar(80) not null default '',
  outbound_cnum varchar(80) not null default '', outbound_cnam varchar(80) not null default '', dst_cnam varchar(80) not null default '',
  linkedid varchar(32) not null default '', peeraccount varchar(80) not null default '', sequence int(11) not null default 0,
  key calldate (calldate), key dst (dst), key accountcode (accountcode), key uniqueid (uniqueid), key did (did), key recordingfile (recordingfile)
)`;

export interface FreepbxDb {
  /** The URL sources.freepbx.database_url points at. */
  url: string;
  connection(): Connection;
  insert(cdrs: FixtureCdr[]): Promise<void>;
}

/** `name` tells the files apart (each project of a run gets its own database too). */
export function useFreepbxDb(name: string): FreepbxDb {
  const database = `calltrail_${name}_${process.pid}_${process.env.CALLTRAIL_TEST_DB}`;
  const url = `${MARIADB}/${database}`;
  let admin: Connection | undefined;
  let pbx: Connection | undefined;
  beforeAll(async () => {
    admin = await mysql.createConnection(`${MARIADB}/test`);
    await admin.query(`drop database if exists ${database}`);
    await admin.query(`create database ${database}`);
    pbx = await mysql.createConnection(url);
    await pbx.query("set session sql_mode = ''");
    await pbx.query(CDR_TABLE);
  });
  afterAll(async () => {
    await pbx?.end();
    await admin?.query(`drop database if exists ${database}`);
    await admin?.end();
  });
  beforeEach(async () => {
    await pbx?.query('truncate table cdr');
  });
  const connection = () => {
    if (!pbx) throw new Error('the FreePBX database is not open yet');
    return pbx;
  };
  return {
    url,
    connection,
    async insert(cdrs) {
      for (const cdr of cdrs) {
        const row = freepbxRow(cdr);
        const keys = Object.keys(row);
        await connection().query(`insert into cdr (${keys.join(', ')}) values (${keys.map(() => '?').join(', ')})`, Object.values(row));
      }
    },
  };
}
