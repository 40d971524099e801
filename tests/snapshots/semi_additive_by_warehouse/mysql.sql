WITH `t3` AS (
  SELECT
    DATE_FORMAT(`t1`.`snapshot_date`, '%Y-%m-01') AS `__p`,
    `t1`.`snapshot_date` AS `__t`,
    CAST(`t1`.`units` AS DOUBLE) AS `__v`,
    CAST(`t1`.`warehouse` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_warehouse`
  FROM `onpace_it_inventory` AS `t1`
  WHERE
    `t1`.`snapshot_date` <= DATE('2024-06-30')
    AND `t1`.`snapshot_date` >= DATE('2024-01-01')
), `t4` AS (
  SELECT
    CAST(`t1`.`warehouse` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_warehouse`
  FROM `onpace_it_inventory` AS `t1`
  WHERE
    `t1`.`snapshot_date` <= DATE('2024-06-30')
    AND `t1`.`snapshot_date` >= DATE('2024-01-01')
    AND DATE_FORMAT(`t1`.`snapshot_date`, '%Y-%m-01') >= DATE('2024-01-01')
    AND DATE_FORMAT(`t1`.`snapshot_date`, '%Y-%m-01') <= DATE('2024-06-01')
)
SELECT
  `t23`.`__p` AS `period`,
  `t23`.`__d_warehouse` AS `warehouse`,
  `t23`.`__n0` AS `stock`,
  `t23`.`__n1` AS `average_stock`
FROM (
  SELECT
    `t2`.`__p`,
    `t9`.`__d_warehouse`,
    `t22`.`__n0`,
    `t19`.`__n1`
  FROM `onpace_periods_4b71f0b1481d` AS `t2`
  CROSS JOIN (
    SELECT
      *
    FROM `t4` AS `t6`
    UNION
    SELECT
      *
    FROM `t4` AS `t6`
  ) AS `t9`
  LEFT OUTER JOIN (
    SELECT
      `t20`.`__p` AS `__g0p`,
      `t20`.`__d_warehouse` AS `__g0_0`,
      `t20`.`__n0`
    FROM (
      SELECT
        `t17`.`__p`,
        `t17`.`__d_warehouse`,
        SUM(`t17`.`__v`) AS `__n0`
      FROM (
        SELECT
          `t7`.`__p`,
          `t7`.`__t`,
          `t7`.`__v`,
          `t7`.`__d_warehouse`,
          `t15`.`__tp`,
          `t15`.`__pick`
        FROM `t3` AS `t7`
        INNER JOIN (
          SELECT
            `t5`.`__p` AS `__tp`,
            MAX(`t5`.`__t`) AS `__pick`
          FROM `t3` AS `t5`
          GROUP BY
            1
        ) AS `t15`
          ON `t7`.`__p` = `t15`.`__tp` AND `t7`.`__t` = `t15`.`__pick`
      ) AS `t17`
      GROUP BY
        1,
        2
    ) AS `t20`
  ) AS `t22`
    ON `t2`.`__p` = `t22`.`__g0p` AND `t9`.`__d_warehouse` <=> `t22`.`__g0_0`
  LEFT OUTER JOIN (
    SELECT
      `t16`.`__p` AS `__g1p`,
      `t16`.`__d_warehouse` AS `__g1_0`,
      `t16`.`__n1`
    FROM (
      SELECT
        `t13`.`__p`,
        `t13`.`__d_warehouse`,
        `t13`.`__s` / `t14`.`__c` AS `__n1`
      FROM (
        SELECT
          `t5`.`__p`,
          `t5`.`__d_warehouse`,
          SUM(`t5`.`__v`) AS `__s`
        FROM `t3` AS `t5`
        GROUP BY
          1,
          2
      ) AS `t13`
      INNER JOIN (
        SELECT
          `t5`.`__p` AS `__tp`,
          COUNT(DISTINCT `t5`.`__t`) AS `__c`
        FROM `t3` AS `t5`
        GROUP BY
          1
      ) AS `t14`
        ON `t13`.`__p` = `t14`.`__tp`
    ) AS `t16`
  ) AS `t19`
    ON `t2`.`__p` = `t19`.`__g1p` AND `t9`.`__d_warehouse` <=> `t19`.`__g1_0`
) AS `t23`
WHERE
  `t23`.`__p` >= DATE('2024-01-01')
